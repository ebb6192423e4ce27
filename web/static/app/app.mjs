// Marks the page as able to run GOV.UK Frontend's JavaScript, then starts its components
// (the character count, the error summary's focus). Every page works without it.
import { initAll } from '/assets/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()

// The GOV.UK timeout warning: two minutes before the session idles out, a modal dialog says
// so and offers to stay signed in (which uses the session, so its idle time starts again) or
// to sign out. When the time is up the page goes to say the session ended. Without
// JavaScript the dialog never opens, and a refresh in the page's head does the last step.
const warning = document.getElementById('timeout-warning')
if (warning && typeof warning.showModal === 'function') {
  const lead = 120
  const countdown = warning.querySelector('[data-countdown]')
  const form = warning.querySelector('[data-keep-alive]')
  let timers = []
  const schedule = (seconds) => {
    timers.forEach(clearTimeout)
    const ends = Date.now() + seconds * 1000
    const tick = () => {
      const left = Math.max(0, Math.round((ends - Date.now()) / 1000))
      const minutes = Math.ceil(left / 60)
      countdown.textContent = left > 60 ? `${minutes} minutes` : `${left} seconds`
    }
    timers = [
      setTimeout(() => { tick(); warning.showModal() }, Math.max(0, seconds - lead) * 1000),
      setTimeout(() => { window.location.href = '/session/ended' }, seconds * 1000)
    ]
    const every = setInterval(() => { if (warning.open) tick() }, 1000)
    timers.push(setTimeout(() => clearInterval(every), seconds * 1000))
  }
  schedule(Number(warning.dataset.idleSeconds))
  form.addEventListener('submit', async (event) => {
    if (event.submitter && event.submitter.hasAttribute('formaction')) return // signing out
    event.preventDefault()
    const res = await fetch(form.action, { method: 'POST', body: new URLSearchParams(new FormData(form)), credentials: 'same-origin' })
    if (res.ok) {
      warning.close()
      schedule(Number(res.headers.get('Session-Idle-Seconds')) || Number(warning.dataset.idleSeconds))
    } else {
      window.location.href = '/session/ended'
    }
  })
}
