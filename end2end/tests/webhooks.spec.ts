// Webhooks end to end: an admin adds an endpoint (the secret is shown once), tests it and sees
// the delivery's 200 in the list; someone who waits for approval reaches the receiver as
// `userNeedsApproval` and the approver's inbox as an email, whose link the approver opens on a
// phone to approve them. The receiver is a real HTTP server; it checks Tailscale's documented
// signature with Node's own HMAC, not Gatehouse's code.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from '@playwright/test';
import { test, expect, generateLink, hydrated, inviteeBrowser, open, row, setUpOwner, signUpWithLink } from './fixtures';

type Delivery = { signature: string; body: string };

/** A webhook receiver on loopback that keeps every request. */
async function startReceiver(): Promise<{ url: string; deliveries: Delivery[]; server: Server }> {
  const deliveries: Delivery[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      deliveries.push({
        signature: String(request.headers['tailscale-webhook-signature'] ?? ''),
        body: Buffer.concat(chunks).toString('utf8'),
      });
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, deliveries, server };
}

/** Tailscale's scheme: `t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, at most 5 minutes old. */
function verified(secret: string, delivery: Delivery): boolean {
  const parts = new Map(delivery.signature.split(',').map((part) => part.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  if (!Number.isFinite(t) || Math.abs(Date.now() / 1000 - t) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${delivery.body}`).digest();
  const given = Buffer.from(parts.get('v1') ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

test.use({ gatehouseEnv: { GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: 'true' } });

test('an admin adds a webhook, tests it, and an approver hears of a waiting person and approves from a phone', async ({
  page,
  gatehouse,
  authenticator,
  browser,
}) => {
  void authenticator;
  const receiver = await startReceiver();
  try {
    await setUpOwner(page, gatehouse);
    const users = page.url();
    const nav = page.getByRole('navigation', { name: 'Admin console' });
    await nav.getByRole('link', { name: 'Webhooks' }).click();
    await hydrated(page);
    await expect(page.getByRole('heading', { name: 'Webhooks', level: 1 })).toBeVisible();
    await expect(page.getByText('No webhook endpoints yet.')).toBeVisible();

    // "Add endpoint": the URL, Tailscale's format, `userNeedsApproval` (preselected).
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const form = page.getByRole('form', { name: 'Add endpoint' });
    await form.getByLabel('Endpoint URL').fill('http://hooks.example.com/x');
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await expect(form.getByLabel('Endpoint URL')).toHaveAttribute('aria-invalid', 'true');
    await form.getByLabel('Endpoint URL').fill(receiver.url);
    await expect(form.getByLabel('Destination')).toHaveValue('');
    await expect(form.getByRole('checkbox', { name: 'userNeedsApproval' })).toBeChecked();
    await form.getByRole('checkbox', { name: 'userApproved' }).check();
    await form.getByRole('button', { name: 'Add endpoint' }).click();

    // The signing secret, shown once.
    const secretField = page.getByRole('textbox', { name: 'Signing secret' });
    await expect(secretField).toHaveValue(/^[A-Za-z0-9_-]{43}$/);
    const secret = await secretField.inputValue();
    await page.getByRole('button', { name: 'Done' }).click();
    await expect(secretField).toHaveCount(0);
    const endpoint = page.getByRole('article', { name: receiver.url });
    await expect(endpoint).toContainText('userNeedsApproval, userApproved');

    // "Test endpoint": the delivery appears with the receiver's 200, without reloading.
    await endpoint.getByRole('button', { name: 'Test endpoint' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Test event sent' })).toBeVisible();
    const delivered = endpoint.getByRole('row').filter({ hasText: 'test' });
    await expect(delivered).toContainText('Delivered');
    await expect(delivered).toContainText('200');
    expect(receiver.deliveries).toHaveLength(1);
    expect(verified(secret, receiver.deliveries[0]), 'signed with the secret shown').toBe(true);
    expect(JSON.parse(receiver.deliveries[0].body)[0].type).toBe('test');
    await page.reload();
    await hydrated(page);
    expect(await page.content(), 'the secret is never shown again').not.toContain(secret);

    // User approval on; Linus joins by link and waits.
    await nav.getByRole('link', { name: 'General settings' }).click();
    await hydrated(page);
    await page.getByRole('checkbox', { name: /^Manually approve new users/ }).check();
    await expect(page.getByRole('region', { name: 'User approval' }).getByRole('status')).toContainText('Saved.');
    await page.goto(users);
    await hydrated(page);
    const link = await generateLink(page, 'Member');
    const invitee = await inviteeBrowser(browser);
    await signUpWithLink(invitee.page, link, 'Linus Torvalds', 'linus@example.com', gatehouse.mail);
    await expect(invitee.page.getByRole('heading', { name: 'Waiting for approval' })).toBeVisible();

    // The receiver hears within seconds, signed.
    await expect
      .poll(() => receiver.deliveries.flatMap((d) => JSON.parse(d.body)).map((e) => e.type), { timeout: 15_000 })
      .toContain('userNeedsApproval');
    const waiting = receiver.deliveries.find((d) => d.body.includes('userNeedsApproval'));
    expect(waiting && verified(secret, waiting)).toBe(true);
    const event = JSON.parse(waiting?.body ?? '[]')[0];
    expect(event.data.user).toBe('linus@example.com');
    expect(event.tailnet).toBe('Example Co');

    // The Owner opens the approver email's link on a phone and approves Linus.
    const approvalLink = await gatehouse.mail.approvalLinkFor('ada@example.com');
    const phone = await browser.newContext({
      storageState: await page.context().storageState(),
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const mobile = await phone.newPage();
    await open(mobile, approvalLink);
    expect(await overflow(mobile), 'the Users page fits the phone').toBe(0);
    const linus = row(mobile, 'linus@example.com');
    await expect(linus).toContainText('Needs approval');
    await linus.getByRole('button', { name: 'Actions for linus@example.com' }).tap();
    await mobile.getByRole('menuitem', { name: 'Approve' }).tap();
    const approve = mobile.getByRole('dialog', { name: 'Approve linus@example.com?' });
    expect(await overflow(mobile), 'the dialog fits the phone').toBe(0);
    await approve.getByRole('button', { name: 'Approve' }).tap();
    await expect(mobile.getByRole('status')).toContainText('linus@example.com is approved and active as Member.');
    await expect
      .poll(() => receiver.deliveries.flatMap((d) => JSON.parse(d.body)).map((e) => e.type), { timeout: 15_000 })
      .toContain('userApproved');

    // The Webhooks page on the phone fits too.
    await open(mobile, users.replace(/\/users$/, '/webhooks'));
    expect(await overflow(mobile), 'the Webhooks page fits the phone').toBe(0);
    await phone.close();
    await invitee.context.close();
  } finally {
    receiver.server.close();
  }
});
