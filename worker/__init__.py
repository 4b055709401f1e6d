"""Keyloop background worker. Importing this package must stay cheap: no torch here."""
