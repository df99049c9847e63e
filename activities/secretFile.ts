// A secret read from a file at the moment it is needed (a webhook's signing secret, SMTP
// credentials): its first line, trimmed. An error names the file and the reason, never its content.

import fs from 'node:fs/promises';

export async function readSecretFile(file: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const secret = text.split(/\r?\n/, 1)[0]!.trim();
  if (!secret) throw new Error(`${what} ${file} is empty`);
  return secret;
}
