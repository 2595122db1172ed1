/** /docs of the check page on the results role (HTML, linked from GitLab commit statuses and MR notes). */
import { z } from 'zod';
import type { OperationDoc } from './document.ts';
import { EXAMPLE_ID, errorExample } from './examples.ts';
import { errorBody } from './schemas.ts';

const html = z.string().describe('A server-rendered HTML page (no script; strict Content-Security-Policy)');
const idParam = {
  name: 'security_check_id',
  in: 'path' as const,
  description: 'The check id, as in the gate API',
  schema: z.string().regex(/^[A-Za-z0-9_]+_[0-9a-f]{64}$/),
  example: EXAMPLE_ID,
};
const page = (description: string, example: string) => ({ description, contentType: 'text/html' as const, schema: html, example });
const notACheck = page('Not a check id: an HTML page saying so', '<!doctype html><html lang="en">…<h1>Not a check id</h1>…</html>');

export const CHECK_PAGE_OPERATIONS: OperationDoc[] = [
  {
    method: 'get',
    path: '/checks/{security_check_id}',
    operationId: 'getCheckPage',
    summary: 'The check page (HTML)',
    description:
      'Verdict and reason, project / ref / commit links, the scanned range, findings with their DefectDojo links, inherited findings, ' +
      'files not scanned, the GitLab publication and a timeline of the tasks. The target of SecBot’s GitLab commit statuses ' +
      '(SECBOT_PUBLIC_URL). With SECBOT_RESULTS_TOKEN set, details need `Authorization: Bearer <token>` or the cookie set by the unlock form; ' +
      'otherwise the page shows status, reason and counts only.',
    tags: ['gate'],
    parameters: [idParam],
    responses: {
      200: page('The page (also for an id without a check: "not started")', '<!doctype html><html lang="en">…<span id="verdict" data-status="fail">fail</span>…</html>'),
      404: notACheck,
    },
  },
  {
    method: 'post',
    path: '/checks/{security_check_id}/unlock',
    operationId: 'unlockCheckPage',
    summary: 'Enter the results read token on the check page',
    description:
      'The page’s form posts `token=<SECBOT_RESULTS_TOKEN>` (application/x-www-form-urlencoded). A correct token sets an HttpOnly, ' +
      'SameSite=Strict cookie for /checks holding an HMAC of the token (never the token) and redirects to the page.',
    tags: ['gate'],
    parameters: [idParam],
    responses: {
      303: page('Correct token (or none configured): redirect to the page, with the cookie', ''),
      400: { description: 'The body could not be parsed', schema: errorBody, example: errorExample('MALFORMED_REQUEST', 'the request body could not be parsed') },
      401: page('Wrong token: the limited page again, saying so', '<!doctype html><html lang="en">…<p class="open" id="unlock-failed">That token is not valid.</p>…</html>'),
      404: notACheck,
    },
  },
];
