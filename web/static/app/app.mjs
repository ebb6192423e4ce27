// Marks the page as able to run GOV.UK Frontend's JavaScript, then starts its components
// (the character count, the error summary's focus). Every page works without it.
import { initAll } from '/assets/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()
