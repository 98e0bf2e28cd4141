// Test fixtures: a fresh Gatehouse per test (its own SQLite file and port), and a virtual
// passkey authenticator (Chrome DevTools Protocol `WebAuthn`) per browser page.
import { test as base, expect, type Browser, type BrowserContext, type CDPSession, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { SMTPServer } from 'smtp-server';

const workspace = resolve(__dirname, '..', '..');

/** One email as the SMTP server received it. */
export type ReceivedMail = { to: string[]; raw: string };

/** A real SMTP server (nodemailer's smtp-server) that keeps what it receives. */
export class MailSink {
  readonly received: ReceivedMail[] = [];
  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  static async start(): Promise<MailSink> {
    const port = await freePort();
    let sink: MailSink | undefined;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          sink?.received.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
    sink = new MailSink(server, port);
    return sink;
  }

  /** Waits for an email to `address` and returns the invite link in it. */
  inviteLinkFor(address: string): Promise<string> {
    return this.linkFor(address, 'invite');
  }

  /** Waits for an email to `address` with a `/<kind>/<token>` link and returns the link. */
  async linkFor(address: string, kind: 'invite' | 'recover'): Promise<string> {
    const pattern = new RegExp(`https?://\\S+/${kind}/[A-Za-z0-9_-]{43}`);
    let link: string | undefined;
    await expect
      .poll(
        () => {
          const mail = this.received.find((m) => m.to.includes(address) && pattern.test(m.raw.replace(/=\r?\n/g, '')));
          link = mail?.raw.replace(/=\r?\n/g, '').match(pattern)?.[0];
          return link;
        },
        { message: `an email to ${address} with a /${kind}/ link`, timeout: 15_000 },
      )
      .toBeTruthy();
    return link as string;
  }

  /** Waits for the email telling approver `address` that someone waits, and returns its link
   *  to the Users page. */
  async approvalLinkFor(address: string): Promise<string> {
    const pattern = /https?:\/\/\S+\/admin\/[^/\s]+\/users\?status=3Dneeds_approval|https?:\/\/\S+\/admin\/[^/\s]+\/users\?status=needs_approval/;
    let link: string | undefined;
    await expect
      .poll(
        () => {
          const mail = this.received.find((m) => m.to.includes(address) && pattern.test(m.raw.replace(/=\r?\n/g, '')));
          link = mail?.raw.replace(/=\r?\n/g, '').match(pattern)?.[0]?.replace('=3D', '=');
          return link;
        },
        { message: `an email to ${address} about someone waiting for approval`, timeout: 15_000 },
      )
      .toBeTruthy();
    return link as string;
  }

  /** Waits for an email to `address` with a one-time code and returns the newest code. */
  async codeFor(address: string): Promise<string> {
    const pattern = /Your Gatehouse code is (\d{6})/;
    let code: string | undefined;
    await expect
      .poll(
        () => {
          const mails = this.received.filter((m) => m.to.includes(address) && pattern.test(m.raw));
          code = mails.at(-1)?.raw.match(pattern)?.[1];
          return code;
        },
        { message: `an email to ${address} with a code`, timeout: 15_000 },
      )
      .toBeTruthy();
    return code as string;
  }

  close(): Promise<void> {
    return new Promise((done) => this.server.close(() => done()));
  }
}

export type Gatehouse = {
  origin: string;
  setupLink: string;
  mail: MailSink;
  /** Runs `gatehouse create-tailnet --name NAME` on this server's database. */
  createTailnet(name: string): Promise<string>;
};

/** A TCP port nothing listens on yet. */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

function gatehouseBinary(): string {
  return process.env.GATEHOUSE_BIN ?? join(workspace, 'target', 'debug', 'gatehouse');
}

function firstLineMatching(child: ChildProcess, pattern: RegExp, what: string): Promise<string> {
  return new Promise((done, fail) => {
    let seen = '';
    const timer = setTimeout(() => fail(new Error(`no ${what} within 30 s:\n${seen}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = seen.match(pattern);
      if (match) {
        clearTimeout(timer);
        done(match[1]);
      }
    });
    child.once('exit', (code) => fail(new Error(`gatehouse exited with ${code}:\n${seen}`)));
  });
}

async function waitUntilServing(origin: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(origin.replace('localhost', '127.0.0.1') + '/login');
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Gatehouse at ${origin} did not answer`);
}

/** A passkey as a virtual authenticator holds it, private key included. */
export type StoredCredential = Awaited<ReturnType<Authenticator['credentials']>>[number];

export class Authenticator {
  constructor(
    private readonly session: CDPSession,
    readonly id: string,
  ) {}

  /** A platform authenticator on `page`; `synced` makes its passkeys backed up (BE and BS). */
  static async attach(page: Page, { synced = false } = {}): Promise<Authenticator> {
    const session = await page.context().newCDPSession(page);
    await session.send('WebAuthn.enable');
    const { authenticatorId } = await session.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
        ...(synced ? { defaultBackupEligibility: true, defaultBackupState: true } : {}),
      },
    });
    return new Authenticator(session, authenticatorId);
  }

  async credentials() {
    const { credentials } = await this.session.send('WebAuthn.getCredentials', {
      authenticatorId: this.id,
    });
    return credentials;
  }

  /** Removes this authenticator with its passkeys, as a person losing the device. */
  async remove(): Promise<void> {
    await this.session.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: this.id });
  }

  /** Puts a passkey taken from another authenticator (`credentials()`) on this one. */
  async addCredential(credential: StoredCredential): Promise<void> {
    await this.session.send('WebAuthn.addCredential', { authenticatorId: this.id, credential });
  }

  /** Adds a discoverable passkey for `rpId` that no Gatehouse server has ever seen. */
  async addStrangerPasskey(rpId: string): Promise<void> {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await this.session.send('WebAuthn.addCredential', {
      authenticatorId: this.id,
      credential: {
        credentialId: randomBytes(32).toString('base64'),
        isResidentCredential: true,
        rpId,
        privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
        userHandle: randomBytes(16).toString('base64'),
        signCount: 0,
      },
    });
  }
}

/** Waits until the current page is hydrated: clicks before that do nothing. The debug wasm
 * is 15 MB; with two workers on two cores, compiling it has taken over 15 s. */
export async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 30_000 });
}

/** Opens `url` and waits until the page is hydrated. */
export async function open(page: Page, url: string) {
  const response = await page.goto(url);
  await hydrated(page);
  return response;
}

/** Records Content-Security-Policy violations and uncaught errors of a page. */
export function watchForProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) {
      problems.push(message.text());
    }
  });
  page.on('pageerror', (error) => problems.push(String(error)));
  return problems;
}

export async function newPageWithPasskeys(context: BrowserContext) {
  const page = await context.newPage();
  const authenticator = await Authenticator.attach(page);
  return { page, authenticator };
}

/** Sets up the first Owner (Ada) through the setup page and waits for the Users page. */
export async function setUpOwner(page: Page, gatehouse: Gatehouse): Promise<void> {
  await open(page, gatehouse.setupLink);
  await page.getByLabel('Tailnet name').fill('Example Co');
  await page.getByLabel('Your name').fill('Ada Owner');
  await page.getByLabel('Email').fill('ada@example.com');
  await page.getByRole('button', { name: 'Create passkey and finish setup' }).click();
  await expect(page).toHaveURL(/\/admin\/[^/]+\/users$/);
  await hydrated(page);
}

/** A second person's browser: its own cookies and its own passkeys. */
export async function inviteeBrowser(browser: Browser) {
  const context = await browser.newContext();
  const { page, authenticator } = await newPageWithPasskeys(context);
  return { context, page, authenticator };
}

/** "Generate & copy invite link" with `role`; returns the link. */
export async function generateLink(page: Page, role: string): Promise<string> {
  await page.getByRole('button', { name: 'Invite external users' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite external users' });
  await dialog.getByRole('tab', { name: 'Copy invite link' }).click();
  await dialog.getByRole('tabpanel', { name: 'Copy invite link' }).getByLabel('Role').selectOption({ label: role });
  await dialog.getByRole('button', { name: 'Generate & copy invite link' }).click();
  const field = dialog.getByRole('textbox', { name: 'Invite link' });
  await expect(field).toHaveValue(/\/invite\/[A-Za-z0-9_-]{43}$/);
  const link = await field.inputValue();
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  return link;
}

/** Opens a link invite in `guest` and creates an account with a passkey, proving the typed
 * address with the code emailed to it. */
export async function signUpWithLink(guest: Page, link: string, name: string, email: string, mail: MailSink) {
  await open(guest, link);
  await guest.getByRole('button', { name: 'Accept invite' }).click();
  await guest.getByLabel('Your name').fill(name);
  await guest.getByLabel('Email').fill(email);
  await guest.getByRole('button', { name: 'Email me a code' }).click();
  await expect(guest.getByRole('status').filter({ hasText: `We emailed a code to ${email}` })).toBeVisible();
  await guest.getByLabel('Code').fill(await mail.codeFor(email));
  await guest.getByRole('button', { name: 'Create account with passkey' }).click();
}

export function row(page: Page, text: string) {
  return page.getByRole('row').filter({ hasText: text });
}

export const test = base.extend<{
  gatehouse: Gatehouse;
  authenticator: Authenticator;
  /** Extra `GATEHOUSE_*` variables for this test's server. */
  gatehouseEnv: Record<string, string>;
}>({
  gatehouseEnv: [{}, { option: true }],
  gatehouse: async ({ gatehouseEnv }, use) => {
    const mail = await MailSink.start();
    const port = await freePort();
    const origin = `http://localhost:${port}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'));
    const env = {
      PATH: process.env.PATH ?? '',
      RUST_LOG: 'warn',
      GATEHOUSE_LISTEN: `127.0.0.1:${port}`,
      GATEHOUSE_PUBLIC_URL: origin,
      GATEHOUSE_DATABASE_URL: `sqlite://${join(dataDir, 'gatehouse.db')}`,
      GATEHOUSE_SECRET_KEY_FILE: join(dataDir, 'secret.key'),
      GATEHOUSE_SMTP_URL: `smtp://127.0.0.1:${mail.port}`,
      ...(process.env.LEPTOS_SITE_ROOT ? { LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT } : {}),
      ...gatehouseEnv,
    };
    const child = spawn(gatehouseBinary(), [], { cwd: workspace, env, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const setupLink = await firstLineMatching(child, /^Setup link: (\S+)$/m, 'setup link');
      await waitUntilServing(origin);
      await use({
        origin,
        setupLink,
        mail,
        createTailnet: async (name: string) => {
          const creator = spawn(gatehouseBinary(), ['create-tailnet', '--name', name], {
            cwd: workspace,
            env,
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          return firstLineMatching(creator, /^Setup link: (\S+)$/m, 'setup link');
        },
      });
    } finally {
      child.kill('SIGTERM');
      await mail.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
  authenticator: async ({ page }, use) => {
    await use(await Authenticator.attach(page));
  },
});

export { expect };
