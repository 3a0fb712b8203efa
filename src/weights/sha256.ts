/** SHA-256 as lowercase hex, with WebCrypto (browsers in secure contexts, Node ≥ 19). */
export async function sha256Hex(data: Uint8Array | ArrayBuffer): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new Error(
      'webnets: verifying weights needs WebCrypto (crypto.subtle), which browsers offer only in secure ' +
        'contexts: serve the page from https:// or http://localhost',
    );
  }
  const digest = await subtle.digest('SHA-256', data as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
