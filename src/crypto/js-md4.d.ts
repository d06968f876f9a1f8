// Types for the part of js-md4 (no bundled types) that md4.ts uses.
declare module "js-md4" {
  const md4: { arrayBuffer(message: string | ArrayBuffer | Uint8Array | number[]): ArrayBuffer };
  export default md4;
}
