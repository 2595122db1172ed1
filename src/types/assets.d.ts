/** Files embedded with `import x from '…' with { type: 'file' }` resolve to a path (inside the compiled binary). */
declare module 'swagger-ui-dist/*' {
  const path: string;
  export default path;
}
