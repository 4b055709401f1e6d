/** The lines a page shows about what just happened: a status when something worked (read out
 * politely by screen readers), an alert when something did not. Nothing renders while empty. */
export function StatusLine({ text }: { text: string | null | undefined }) {
  return text ? (
    <p role="status" class="message">
      {text}
    </p>
  ) : null;
}

export function ErrorLine({ text }: { text: string | null | undefined }) {
  return text ? (
    <p role="alert" class="error">
      {text}
    </p>
  ) : null;
}
