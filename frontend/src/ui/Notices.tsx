/** The lines a page shows about what just happened: a status when something worked (read out
 * politely by screen readers), an alert when something did not. Nothing renders while empty. */
export function StatusLine({ text }: { text: string | null | undefined }) {
  return outcomeLine("status", "message", text);
}

export function ErrorLine({ text }: { text: string | null | undefined }) {
  return outcomeLine("alert", "error", text);
}

function outcomeLine(role: "status" | "alert", className: string, text: string | null | undefined) {
  return text ? (
    <p role={role} class={className}>
      {text}
    </p>
  ) : null;
}
