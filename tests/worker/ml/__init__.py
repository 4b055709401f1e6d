"""Tests of the model library, worker/ml."""
