// A ULID for an ad-hoc action: the contract requires inline actions to carry an id
// (Action.id, `required,ulid`) although nothing stores them.
const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A new ULID: 48 bits of milliseconds, then 80 random bits, in Crockford base32. */
export function newUlid(now = Date.now()): string {
  let time = "";
  for (let i = 0, rest = now; i < 10; ++i, rest = Math.floor(rest / 32)) time = alphabet[rest % 32] + time;
  const random = crypto.getRandomValues(new Uint8Array(16));
  let tail = "";
  for (let i = 0; i < 16; ++i) tail += alphabet[random[i] % 32];
  return time + tail;
}
