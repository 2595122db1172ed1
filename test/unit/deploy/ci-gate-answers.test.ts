/**
 * ci/secbot-gate.sh passes only on a well-formed SecBot answer for the check it asked about (issue 13, item 5):
 * HTML, concatenated documents, duplicate keys, another check's answer all fail, saying why; nothing it prints
 * carries a control character; SECBOT_RESULTS_TOKEN is sent and never printed; busybox wget is used for https only
 * where it verifies certificates. Each scenario runs with curl and jq, curl without jq, and busybox only.
 */
import { describe, expect, test } from 'bun:test';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { APPLETS, BUSYBOX, gate, h, json, RESULTS_TOKEN, useFakeResults, VARIANT_NAMES, VARIANTS, verdict } from './ci-gate-harness.ts';

useFakeResults();


for (const variant of VARIANTS) {
  describe(`secbot-gate.sh answers (${VARIANT_NAMES[variant]})`, () => {
    // Answers that are not SecBot's answer for this check: each must fail, never pass, and say why.
    const IMPOSTORS: [string, () => string, string][] = [
      ['a success status inside HTML', () => '<html>{"status":"success"}</html>', 'not a JSON object'],
      ['HTML around a whole valid answer', () => `<html>${JSON.stringify(verdict('success'))}</html>`, 'not a JSON object'],
      ['two concatenated JSON documents', () => JSON.stringify(verdict('fail')) + JSON.stringify(verdict('success')), 'data after the JSON document'],
      ['a valid answer followed by garbage', () => `${JSON.stringify(verdict('success'))} trailing`, 'data after the JSON document'],
      ['a duplicate status key (fail, then success)', () => JSON.stringify(verdict('fail')).replace(/\}$/, ',"status":"success"}'), 'a duplicate key'],
      ['a duplicate status key spelled with an escape', () => JSON.stringify(verdict('fail')).replace(/\}$/, ',"st\\u0061tus":"success"}'), 'a duplicate key'],
      ['a duplicate key deeper down', () => JSON.stringify(verdict('success', { check: { a: 1 } })).replace('"a":1', '"a":1,"a":2'), 'a duplicate key'],
      ['the answer for another check', () => JSON.stringify({ ...verdict('success'), security_check_id: `GIT_LOCAL_${'0'.repeat(64)}` }), 'another check'],
      ['no security_check_id', () => JSON.stringify({ status: 'success' }), 'no security_check_id'],
      ['an unknown status', () => JSON.stringify(verdict('passed')), 'no known status'],
      ['a status that is not a string', () => JSON.stringify({ ...verdict('success'), status: ['success'] }), 'no known status'],
      ['a JSON array holding the answer', () => JSON.stringify([verdict('success')]), 'not a JSON object'],
      ['a raw control character in a string', () => JSON.stringify(verdict('success')).replace('"stale"', '"st\u0001ale"'), 'raw control character'],
      ['an empty 200', () => '', 'an empty answer'],
    ];
    for (const [name, body, why] of IMPOSTORS) {
      test(`not SecBot's answer: ${name} → fails, saying why`, async () => {
        h.responder = () => new Response(body(), { status: 200, headers: { 'content-type': 'application/json' } });
        const r = await gate(variant);
        expect(r.code).toBe(1);
        expect(r.out).toContain(`not a SecBot answer for this check (`);
        expect(r.out).toContain(why);
        expect(r.out).not.toContain('SecBot gate: passed');
      });
    }

    test('control characters in what SecBot (or an impostor) sends are not printed; a forged line stays inside its line', async () => {
      const nasty = 'x\u001b[2K\u001b[1A\rSecBot gate: passed\n\u009b31m\u0007';
      h.responder = () =>
        json(
          verdict('fail', {
            reason: `reason ${nasty}`,
            outputs: [{ name: 'dd\u001b]0;t', scan: 'g', url: 'https://dd/test/1', findings: [{ title: `title ${nasty}`, severity: 'High', url: 'https://dd/f/1' }] }],
          }),
        );
      const r = await gate(variant);
      expect(r.code).toBe(1);
      expect(r.out).toContain('FAILED (status fail)');
      for (const line of r.out.split('\n')) expect(line.startsWith('SecBot gate: passed')).toBe(false);
      expect(r.out).toContain('reason: reason x');

      h.responder = () => new Response(`<html>\u001b[31mred\r\u0007</html>`, { status: 404 });
      const notFound = await gate(variant);
      expect(notFound.code).toBe(1);
    });

    test('SECBOT_RESULTS_TOKEN is sent as a bearer token and never printed; without it no Authorization header', async () => {
      h.responder = () => json(verdict('success'));
      const withToken = await gate(variant, { SECBOT_RESULTS_TOKEN: RESULTS_TOKEN });
      expect(withToken.code).toBe(0);
      expect(h.authorizations).toEqual([`Bearer ${RESULTS_TOKEN}`]);
      expect(withToken.out).toContain('sending the read token (SECBOT_RESULTS_TOKEN)');

      h.authorizations = [];
      const without = await gate(variant);
      expect(without.code).toBe(0);
      expect(h.authorizations).toEqual([null]);
    });

    test('a refused token (401) fails at once, pointing at SECBOT_RESULTS_TOKEN', async () => {
      h.responder = () => json({ code: 'UNAUTHORIZED', message: 'bad token' }, 401);
      const r = await gate(variant, { SECBOT_RESULTS_TOKEN: RESULTS_TOKEN });
      expect(r.code).toBe(1);
      expect(r.out).toContain('check SECBOT_RESULTS_TOKEN');
      expect(h.requests).toHaveLength(1);
    });
  });
}

describe('secbot-gate.sh with busybox wget over https', () => {
  // Debian's busybox wget does TLS through `openssl s_client` or its own code, neither of which checks the
  // certificate; only alpine's ssl_client helper does. Without it, https is refused before any request.
  test('without ssl_client: refused as a configuration error, nothing requested', async () => {
    const r = await gate('busybox', { SECBOT_URL: 'https://127.0.0.1:9', SECBOT_RESULTS_TOKEN: RESULTS_TOKEN });
    expect(r.code).toBe(2);
    expect(r.out).toContain('cannot verify TLS certificates');
  });

  test('SECBOT_CA_FILE cannot be honoured by busybox wget: refused', async () => {
    const ca = join(h.tmp, 'bb-ca.pem');
    writeFileSync(ca, 'x\n');
    const r = await gate('busybox', { SECBOT_URL: 'https://127.0.0.1:9', SECBOT_CA_FILE: ca });
    expect(r.code).toBe(2);
    expect(r.out).toContain('busybox wget cannot use SECBOT_CA_FILE');
  });

  test('with an ssl_client helper on PATH (alpine), https goes ahead', async () => {
    const bin = join(h.tmp, 'busybox-alpine-bin');
    mkdirSync(bin, { recursive: true });
    for (const a of APPLETS) symlinkSync(BUSYBOX!, join(bin, a));
    writeFileSync(join(bin, 'ssl_client'), '#!/bin/sh\nexit 1\n');
    chmodSync(join(bin, 'ssl_client'), 0o755);
    const r = await gate('busybox', { PATH: bin, SECBOT_URL: 'https://127.0.0.1:9', SECBOT_HTTP_RETRIES: '0' });
    expect(r.out).not.toContain('cannot verify TLS certificates');
    expect(r.out).toContain('cannot reach SecBot');
    expect(r.code).toBe(1);
  });
});

