import { readFileSync } from 'node:fs';
import { test, expect, hydrated, setUpOwner, watchForProblems } from './fixtures';

// A resend is allowed once a minute, so this test waits for it: it runs beside the others.
test('invites, a resend and a delete appear in the configuration audit logs, where they can be filtered, expanded and exported', async ({
  page,
  gatehouse,
  authenticator,
}) => {
  void authenticator;
  test.setTimeout(150_000);
  const problems = watchForProblems(page);
  await setUpOwner(page, gatehouse);

  // Invite two people; delete one invite; resend the other once the minute has passed.
  await page.getByRole('button', { name: 'Invite external users' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite external users' });
  await dialog.getByLabel('Email addresses').fill('grace@example.com, linus@example.com');
  await dialog.getByRole('button', { name: 'Invite', exact: true }).click();
  const invitedAt = Date.now();
  await expect(page.getByRole('status')).toContainText('Invited 2 people');

  await page.getByRole('button', { name: 'Actions for linus@example.com' }).click();
  await page.getByRole('menuitem', { name: 'Delete invite' }).click();
  await page
    .getByRole('alertdialog', { name: 'Delete the invite for linus@example.com?' })
    .getByRole('button', { name: 'Delete invite' })
    .click();
  await expect(page.getByRole('status')).toContainText('Invite for linus@example.com deleted.');

  await page.waitForTimeout(Math.max(0, invitedAt + 61_000 - Date.now()));
  await page.getByRole('button', { name: 'Actions for grace@example.com' }).click();
  await page.getByRole('menuitem', { name: 'Resend user invite' }).click();
  await expect(page.getByRole('status')).toContainText('Invite resent to grace@example.com.');

  // The log, newest first, reached from the admin navigation.
  const nav = page.getByRole('navigation', { name: 'Admin console' });
  await nav.getByRole('link', { name: 'Configuration audit logs' }).click();
  await expect(page).toHaveURL(/\/admin\/[^/]+\/logs$/);
  await expect(page.getByRole('heading', { name: 'Configuration audit logs' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Configuration audit logs' })).toHaveAttribute('aria-current', 'page');
  await hydrated(page);
  const events = page.getByRole('table', { name: 'Configuration audit events, newest first' });
  const eventRows = events.locator(':scope > tbody > tr:not(.event-details)');
  await expect(eventRows).toHaveCount(6);
  await expect(eventRows.nth(0)).toContainText('Invite resent');
  await expect(eventRows.nth(0)).toContainText('INVITE.RESEND.TAILNET_INVITE');
  await expect(eventRows.nth(0)).toContainText('grace@example.com');
  await expect(eventRows.nth(1)).toContainText('Invite deleted');
  await expect(eventRows.nth(1)).toContainText('linus@example.com');
  await expect(eventRows.filter({ hasText: 'Invite created' })).toHaveCount(2);
  await expect(eventRows.filter({ hasText: 'Tailnet created' })).toHaveCount(1);
  await expect(eventRows.filter({ hasText: 'Passkey added' })).toHaveCount(1);
  await expect(eventRows.first()).toContainText('Ada Owner');

  // Filter by event name: only the resend.
  await page.getByLabel('Event', { exact: true }).selectOption({ label: 'Invite resent (INVITE.RESEND.TAILNET_INVITE)' });
  await expect(eventRows).toHaveCount(1);
  const resent = eventRows.first();
  await expect(resent).toContainText('grace@example.com');

  // Its details: old and new values side by side; the expiry moved.
  const details = resent.getByRole('button', { name: /^Details of Invite resent at / });
  await expect(details).toHaveAttribute('aria-expanded', 'false');
  await details.click();
  await expect(details).toHaveAttribute('aria-expanded', 'true');
  const change = page.getByRole('table', { name: 'Old and new values' });
  await expect(change.getByRole('columnheader', { name: 'Old value' })).toBeVisible();
  await expect(change.getByRole('columnheader', { name: 'New value' })).toBeVisible();
  const expiry = change.getByRole('row', { name: /^expires_at/ });
  await expect(expiry).toHaveClass(/changed/);
  await expect(page.getByText('ADMIN_CONSOLE')).toBeVisible();
  await details.click();
  await expect(change).toBeHidden();

  // Filter by target and by actor; the filters combine.
  await page.getByLabel('Event', { exact: true }).selectOption({ label: 'All events' });
  await page.getByLabel('Target', { exact: true }).fill('linus');
  await expect(eventRows).toHaveCount(2);
  await expect(eventRows.nth(0)).toContainText('Invite deleted');
  await expect(eventRows.nth(1)).toContainText('Invite created');
  await page.getByLabel('Actor', { exact: true }).fill('nobody@');
  await expect(page.getByText('No events match these filters.')).toBeVisible();
  await page.getByLabel('Actor', { exact: true }).fill('ada@');
  await expect(eventRows).toHaveCount(2);

  // A time range that ends before today finds nothing.
  await page.getByLabel('To', { exact: true }).fill('2020-01-01');
  await expect(page.getByText('No events match these filters.')).toBeVisible();
  await page.getByLabel('To', { exact: true }).fill('');
  await expect(eventRows).toHaveCount(2);

  // Export downloads what the filters show.
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^audit-log-.+\.csv$/);
  const csv = readFileSync((await file.path()) as string, 'utf8').trim().split('\r\n');
  expect(csv).toHaveLength(3);
  expect(csv[0]).toMatch(/^event_time,event_name,action,/);
  expect(csv[1]).toContain('INVITE.DELETE.TAILNET_INVITE');
  expect(csv[2]).toContain('INVITE.CREATE.TAILNET_INVITE');
  expect(csv.every((line) => !line.includes('grace@'))).toBe(true);

  const jsonDownload = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export JSON' }).click();
  const jsonFile = await jsonDownload;
  const exported = JSON.parse(readFileSync((await jsonFile.path()) as string, 'utf8'));
  expect(exported.map((event: { event_name: string }) => event.event_name)).toEqual([
    'INVITE.DELETE.TAILNET_INVITE',
    'INVITE.CREATE.TAILNET_INVITE',
  ]);
  expect(exported[0].actor.email).toBe('ada@example.com');

  expect(problems, 'no CSP violations or script errors').toEqual([]);
});
