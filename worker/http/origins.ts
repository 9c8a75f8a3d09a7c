/** The origins a stack lists in CORS_ALLOWED_ORIGINS (comma-separated, exact origins like https://app.example.com). */
export function parseOrigins(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
}
