/**
 * `GET /`: the page that lets a person use the platform from a browser. Plain HTML with no inline script or style,
 * so the strict Content-Security-Policy of worker/routes/web.ts holds; behaviour is in script.ts, looks in style.ts.
 * Kept as strings in TypeScript modules so esbuild, Vite (the test pool) and tsc need no loaders.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>do-platform</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
<script type="module" src="/app.js"></script>
</head>
<body>
<header>
  <h1>do-platform</h1>
  <p id="health" class="muted">Checking the server…</p>
</header>
<main>
  <section aria-labelledby="counter-heading">
    <h2 id="counter-heading">Counter</h2>
    <form id="counter-form">
      <label for="counter-name">Counter name</label>
      <input id="counter-name" name="counter" value="visits" maxlength="64" required autocomplete="off" spellcheck="false">
      <div class="actions">
        <button type="submit">Increment</button>
        <button type="button" id="counter-read" class="secondary">Read</button>
      </div>
    </form>
    <p class="result">Count: <output id="counter-value" aria-live="polite">–</output></p>
    <p id="counter-error" class="error" role="alert" hidden></p>
  </section>

  <section aria-labelledby="chat-heading" class="chat">
    <h2 id="chat-heading">Chat</h2>
    <form id="join-form">
      <div class="fields">
        <div>
          <label for="chat-room">Room</label>
          <input id="chat-room" name="room" value="lobby" maxlength="64" required autocomplete="off" spellcheck="false">
        </div>
        <div>
          <label for="chat-user">Your name</label>
          <input id="chat-user" name="user" maxlength="32" required autocomplete="nickname" spellcheck="false">
        </div>
      </div>
      <div class="actions">
        <button type="submit" id="chat-join">Join</button>
        <button type="button" id="chat-leave" class="secondary" disabled>Leave</button>
      </div>
    </form>
    <p id="chat-status" class="muted" aria-live="polite">Not connected.</p>
    <p class="members-line">Members: <span id="chat-members" aria-live="polite">none</span></p>
    <ol id="chat-messages" aria-label="Messages" aria-live="polite"></ol>
    <form id="send-form">
      <label for="chat-text">Message</label>
      <div class="inline">
        <input id="chat-text" name="text" maxlength="4096" autocomplete="off" disabled required>
        <button type="submit" id="chat-send" disabled>Send</button>
      </div>
    </form>
    <p id="chat-error" class="error" role="alert" hidden></p>
  </section>

  <section aria-labelledby="job-heading" class="scheduler">
    <h2 id="job-heading">Scheduler</h2>
    <form id="job-form">
      <div class="fields">
        <div>
          <label for="job-scheduler">Scheduler</label>
          <input id="job-scheduler" name="scheduler" value="default" maxlength="64" required autocomplete="off" spellcheck="false">
        </div>
        <div>
          <label for="job-counter">Counter to increment</label>
          <input id="job-counter" name="counter" value="visits" maxlength="64" required autocomplete="off" spellcheck="false">
        </div>
        <div>
          <label for="job-by">Increment by</label>
          <input id="job-by" name="by" type="number" min="1" max="1000000" step="1" value="1" required>
        </div>
        <div>
          <label for="job-delay">Delay (seconds)</label>
          <input id="job-delay" name="delay" type="number" min="0" step="1" value="5" required>
        </div>
        <div class="token">
          <label for="job-token">Admin token</label>
          <input id="job-token" name="token" type="password" autocomplete="off" spellcheck="false" aria-describedby="job-token-help">
        </div>
      </div>
      <small id="job-token-help" class="muted">Scheduling and cancelling are operator actions: paste the environment's ADMIN_TOKEN (npm run dev prints it and keeps it in .dev.vars).</small>
      <div class="actions">
        <button type="submit">Schedule</button>
        <button type="button" id="jobs-refresh" class="secondary">Refresh</button>
      </div>
    </form>
    <p id="job-error" class="error" role="alert" hidden></p>
    <p id="jobs-summary" class="muted" aria-live="polite">Loading jobs…</p>
    <div class="table-scroll">
      <table id="jobs" aria-label="Jobs">
        <thead><tr><th scope="col">Job</th><th scope="col">Action</th><th scope="col">Status</th><th scope="col">Next run</th><th scope="col">Last error</th><th scope="col"><span class="visually-hidden">Cancel</span></th></tr></thead>
        <tbody id="jobs-body"></tbody>
      </table>
    </div>
  </section>
</main>
</body>
</html>
`;
