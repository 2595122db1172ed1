/** The workflow the benchmarks run: the shipped job shape (gitleaks → DefectDojo → Slack), optionally scoped to projects. */
export function benchConfig(projectPattern?: string): string {
  const scope = projectPattern ? `, project.path_with_namespace: "${projectPattern}"` : '';
  return `
version: "1.0"
components:
  gitleaks: { handler_name: gitleaks, config: { mode: diff } }
  defectdojo:
    handler_name: defectdojo
    env: { url: DEFECTDOJO__URL, secret_key: DEFECTDOJO__TOKEN, user: DEFECTDOJO__USER, lead_id: DEFECTDOJO__USER_ID }
  slack:
    handler_name: slack
    config: { render_limit: 10, channels: [security-alerts] }
    env: { token: SLACK_TOKEN }
jobs:
  - name: secrets
    rules: { gitlab: { event_type: "push|tag_push|merge_request"${scope} } }
    scans: [gitleaks]
    outputs: [defectdojo]
    notifications: [slack]
`;
}
