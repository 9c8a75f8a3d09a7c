/** `GET /app.css`: the page's looks. System fonts, readable contrast in light and dark, visible focus. */
export const PAGE_STYLE = `:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --card: #fff; --text: #1b1f24; --muted: #59636e; --line: #d5dae0;
  --accent: #0b5cad; --accent-text: #fff; --error: #a3131f; --error-bg: #fdecee; --mine: #eef4fb;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111418; --card: #1a1f25; --text: #e8ebef; --muted: #a1abb6; --line: #333b45;
    --accent: #5aa2ee; --accent-text: #0b1118; --error: #ffb3b8; --error-bg: #3a1417; --mine: #1d2733;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
header, main { max-width: 68rem; margin: 0 auto; padding: 1rem 1.25rem; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0.5rem 0; }
h2 { font-size: 1.15rem; margin: 0 0 0.75rem; }
main { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(19rem, 1fr)); align-items: start; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 0.5rem; padding: 1rem 1.25rem; }
/* Wide screens: the chat takes two of three columns beside the counter, the scheduler the full width below. */
@media (min-width: 62rem) { section.chat { grid-column: span 2; } }
label { display: block; font-weight: 600; font-size: 0.9rem; margin: 0.5rem 0 0.2rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
input { width: 100%; font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 0.35rem; padding: 0.4rem 0.55rem; }
input:disabled { opacity: 0.6; }
.fields { display: grid; gap: 0 0.75rem; align-items: end; grid-template-columns: repeat(auto-fit, minmax(8rem, 1fr)); }
.actions { display: flex; gap: 0.5rem; margin-top: 0.75rem; }
.inline { display: flex; gap: 0.5rem; }
button { font: inherit; font-weight: 600; border: 1px solid var(--accent); border-radius: 0.35rem; padding: 0.4rem 0.9rem; background: var(--accent); color: var(--accent-text); cursor: pointer; }
button.secondary { background: transparent; color: var(--accent); }
button:disabled { opacity: 0.5; cursor: not-allowed; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.muted { color: var(--muted); margin: 0.5rem 0; }
.result { font-size: 1.1rem; margin: 0.75rem 0 0; }
output { font-weight: 700; font-variant-numeric: tabular-nums; }
.error { color: var(--error); background: var(--error-bg); border-radius: 0.35rem; padding: 0.5rem 0.75rem; margin: 0.75rem 0 0; }
.members-line { margin: 0.25rem 0 0.5rem; font-size: 0.95rem; }
#chat-messages { list-style: none; margin: 0 0 0.75rem; padding: 0.5rem; height: 18rem; overflow-y: auto; border: 1px solid var(--line); border-radius: 0.35rem; background: var(--bg); }
#chat-messages li { padding: 0.2rem 0.3rem; overflow-wrap: anywhere; }
#chat-messages li.event { color: var(--muted); font-style: italic; font-size: 0.9rem; }
#chat-messages .user { font-weight: 700; margin-right: 0.4rem; }
#chat-messages time { color: var(--muted); font-size: 0.8rem; margin-right: 0.4rem; }
section.scheduler { grid-column: 1 / -1; }
.scheduler .fields { grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); }
.scheduler small { display: block; font-size: 0.85rem; }
#chat-messages:empty::before { content: "No messages yet. Join the room and say hello."; color: var(--muted); font-style: italic; }
.table-scroll { overflow-x: auto; }
#jobs { width: 100%; border-collapse: collapse; font-size: 0.95rem; }
#jobs th { text-align: left; font-size: 0.85rem; color: var(--muted); border-bottom: 1px solid var(--line); padding: 0.3rem 0.5rem; white-space: nowrap; }
#jobs td { border-bottom: 1px solid var(--line); padding: 0.35rem 0.5rem; vertical-align: top; }
#jobs td.next-run { white-space: nowrap; }
#jobs td.last-error { color: var(--error); overflow-wrap: anywhere; max-width: 22rem; }
#jobs .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.status { font-weight: 600; white-space: nowrap; }
.status-failed { color: var(--error); }
.status-cancelled, .status-completed { color: var(--muted); }
button.small { padding: 0.15rem 0.6rem; font-size: 0.9rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
@media (max-width: 40rem) {
  #jobs thead { display: none; }
  #jobs tr { display: block; border-bottom: 1px solid var(--line); padding: 0.4rem 0; }
  #jobs td { display: flex; gap: 0.75rem; border: 0; padding: 0.1rem 0; max-width: none; }
  #jobs td[data-label]:not([data-label=""])::before { content: attr(data-label); flex: 0 0 6rem; font-weight: 600; color: var(--muted); font-size: 0.85rem; }
}
[hidden] { display: none !important; }
.fields .wide { grid-column: 1 / -1; }
`;
