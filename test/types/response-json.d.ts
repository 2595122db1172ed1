// In tests, response bodies are inspected field by field; typing them `any` keeps assertions readable.
declare global {
  interface Response {
    // biome-ignore lint: see above
    json(): Promise<any>;
  }
}
export {};
