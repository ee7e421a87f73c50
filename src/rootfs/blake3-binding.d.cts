/** The part of @napi-rs/blake-hash's binding that contents-hash.ts uses. */
interface Blake3Hasher {
  reset(): void;
  update(data: Uint8Array): Blake3Hasher;
  digest(format: 'hex'): string;
}
declare const binding: { Blake3Hasher: new () => Blake3Hasher };
export = binding;
