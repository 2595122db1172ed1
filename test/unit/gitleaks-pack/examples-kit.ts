/** The shape of the pack's rule examples (test/unit/gitleaks-pack/examples*.ts). */
export interface Example {
  path: string;
  text: string;
}
export interface RuleExamples {
  rule: string;
  /** For a helper rule that is never reported alone (skipReport): the rule whose findings it enables. */
  reportedAs?: string;
  /** Rules that may report a false example all the same (a path rule on the same file). */
  tolerate?: string[];
  tp: Example[];
  fp: Example[];
}

export const ex = (path: string, text: string): Example => ({ path, text: text.endsWith('\n') ? text : `${text}\n` });
