// Accepting invites in two browser contexts, each with its own virtual authenticator: the admin
// in one, the invitee in the other.
import type { Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import {
  test,
  expect,
  open,
  hydrated,
  setUpOwner,
  watchForProblems,
  inviteeBrowser,
  generateLink,
  signUpWithLink,
  row,
} from './fixtures';

/** "Invite external users" → "Invite by email" for one address with `role`. */
async function inviteByEmail(page: Page, address: string, role: string) {
  await page.getByRole('button', { name: 'Invite external users' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite external users' });
  await dialog.getByLabel('Email addresses').fill(address);
  await dialog.getByRole('tabpanel', { name: 'Invite by email' }).getByLabel('Role').selectOption({ label: role });
  await dialog.getByRole('button', { name: 'Invite', exact: true }).click();
  await expect(dialog).toHaveCount(0);
}

/** The admin's tailnet id, from the Users page address. */
function tailnetOf(page: Page): string {
  const match = new URL(page.url()).pathname.match(/^\/admin\/([^/]+)\/users$/);
  if (!match) throw new Error(`not on a Users page: ${page.url()}`);
  return match[1];
}

/** Turns on "Manually approve new users" in General settings, then returns to the Users page. */
async function turnOnUserApproval(page: Page) {
  const nav = page.getByRole('navigation', { name: 'Admin console' });
  await nav.getByRole('link', { name: 'General settings' }).click();
  await hydrated(page);
  await page.getByRole('checkbox', { name: /^Manually approve new users/ }).check();
  await expect(page.getByRole('region', { name: 'User approval' }).getByRole('status')).toContainText('Saved.');
  await nav.getByRole('link', { name: 'Users' }).click();
  await hydrated(page);
}

test('an emailed invitee creates an account with a passkey and joins; the used link stops working', async ({
  page,
  gatehouse,
  authenticator,
  browser,
}) => {
  void authenticator;
  const problems = watchForProblems(page);
  await setUpOwner(page, gatehouse);
  await inviteByEmail(page, 'grace@example.com', 'Member');
  const link = await gatehouse.mail.inviteLinkFor('grace@example.com');

  const invitee = await inviteeBrowser(browser);
  const guest = invitee.page;
  const guestProblems = watchForProblems(guest);
  const response = await open(guest, link);
  expect(response?.status()).toBe(200);
  expect(response?.headers()['referrer-policy']).toBe('no-referrer');
  await expect(guest.getByRole('heading', { name: 'Join Example Co' })).toBeVisible();
  await expect(guest.getByText('Ada Owner invited you to join the tailnet Example Co as Member.')).toBeVisible();

  const accept = guest.getByRole('button', { name: 'Accept invite' });
  await expect(accept).toHaveAttribute('aria-expanded', 'false');
  await accept.click();
  await expect(guest.getByLabel('Your name')).toBeFocused();
  // The emailed address is the account's, shown and fixed.
  await expect(guest.getByLabel('Email')).toHaveValue('grace@example.com');
  await expect(guest.getByLabel('Email')).toHaveAttribute('readonly', '');
  await guest.getByRole('button', { name: 'Create account with passkey' }).click();
  await expect(guest.locator('#display_name-error')).toBeVisible();
  await expect(guest.getByLabel('Your name')).toHaveAttribute('aria-invalid', 'true');
  await guest.getByLabel('Your name').fill('Grace Hopper');
  await guest.getByRole('button', { name: 'Create account with passkey' }).click();

  await expect(guest).toHaveURL(/\/welcome\/[^/]+$/);
  await expect(guest.getByRole('heading', { name: 'Welcome to Example Co' })).toBeVisible();
  await expect(guest.getByRole('link', { name: 'Download the client' })).toHaveAttribute('href', 'https://tailscale.com/download');
  await expect(guest.getByRole('link', { name: 'Open Example Co' })).toBeVisible();
  // The passkey lives in the invitee's authenticator, not the admin's.
  expect(await invitee.authenticator.credentials()).toHaveLength(1);

  await page.reload();
  await hydrated(page);
  await expect(row(page, 'grace@example.com')).toContainText('Active');
  await expect(page.getByText('Example Co · 2 active users')).toBeVisible();

  // As a Member, Grace has no Users page and no "Invite external users".
  const users = await open(guest, `${gatehouse.origin}/admin/${tailnetOf(page)}/users`);
  expect(users?.status()).toBe(403);
  await expect(guest.getByRole('heading', { name: "You don't have access to this page" })).toBeVisible();
  await expect(guest.getByRole('button', { name: 'Invite external users' })).toHaveCount(0);

  // The link worked once.
  const again = await open(guest, link);
  expect(again?.status()).toBe(404);
  await expect(guest.getByText('This invite is no longer valid. Ask the person who invited you for a new one.')).toBeVisible();

  await invitee.context.close();
  expect(problems, 'no CSP violations or script errors').toEqual([]);
  expect(guestProblems, 'no CSP violations or script errors').toEqual([]);
});

test('with "User approval" on, the invitee waits until an admin approves them with a role', async ({
  page,
  gatehouse,
  authenticator,
  browser,
}) => {
  void authenticator;
  await setUpOwner(page, gatehouse);
  await turnOnUserApproval(page);
  const link = await generateLink(page, 'Member');

  const invitee = await inviteeBrowser(browser);
  const guest = invitee.page;
  await open(guest, link);
  await guest.getByRole('button', { name: 'Accept invite' }).click();
  await guest.getByLabel('Your name').fill('Linus Torvalds');
  // A link invite takes the address the person types.
  await expect(guest.getByLabel('Email')).not.toHaveAttribute('readonly', '');
  await guest.getByLabel('Email').fill('linus@example.com');
  // The typed address is proven first, with a code emailed to it; a wrong code is refused.
  await guest.getByRole('button', { name: 'Email me a code' }).click();
  const code = await gatehouse.mail.codeFor('linus@example.com');
  await guest.getByLabel('Code').fill(code === '000000' ? '111111' : '000000');
  await guest.getByRole('button', { name: 'Create account with passkey' }).click();
  await expect(guest.getByLabel('Code')).toHaveAttribute('aria-invalid', 'true');
  await expect(guest.locator('#email_code-error')).toContainText('That code is not right');
  await guest.getByLabel('Code').fill(code);
  await guest.getByRole('button', { name: 'Create account with passkey' }).click();
  await expect(guest.getByRole('heading', { name: 'Waiting for approval' })).toBeVisible();
  await expect(guest.getByRole('status')).toContainText('An admin of Example Co must approve you');
  // Their own page lists the tailnet as waiting, and leads back here.
  await open(guest, `${gatehouse.origin}/`);
  await expect(guest.getByRole('listitem').filter({ hasText: 'Example Co' })).toContainText('Needs approval');
  await guest.getByRole('link', { name: 'Waiting for approval' }).click();
  await expect(guest.getByRole('heading', { name: 'Waiting for approval' })).toBeVisible();
  await hydrated(guest);

  // The Owner is emailed; the email's link opens the Users page filtered to "Needs approval".
  const waitingList = await gatehouse.mail.approvalLinkFor('ada@example.com');
  await page.goto(waitingList);
  await hydrated(page);
  await expect(page.getByLabel('Status')).toHaveValue('needs_approval');
  const linus = row(page, 'linus@example.com');
  await expect(linus).toContainText('Needs approval');
  await expect(page.getByRole('row')).toHaveCount(2); // the header and Linus
  await linus.getByRole('button', { name: 'Actions for linus@example.com' }).click();
  await expect(page.getByRole('menuitem', { name: 'Approve' })).toBeFocused();
  await page.getByRole('menuitem', { name: 'Approve' }).click();
  const approve = page.getByRole('dialog', { name: 'Approve linus@example.com?' });
  await expect(approve.getByRole('button', { name: 'Approve' })).toBeFocused();
  await approve.getByLabel('Role').selectOption({ label: 'Auditor' });
  await approve.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByRole('status')).toContainText('linus@example.com is approved and active as Auditor.');
  await page.getByLabel('Status').selectOption({ label: 'Active' });
  await expect(row(page, 'linus@example.com')).toContainText('Auditor');
  await expect(row(page, 'linus@example.com')).toContainText('Active');

  // The waiting page notices by itself; "Check again" makes it immediate.
  await guest.getByRole('button', { name: 'Check again' }).click();
  await expect(guest.getByRole('heading', { name: 'Welcome to Example Co' })).toBeVisible();
  await expect(guest.getByText('You joined as Auditor.')).toBeVisible();
  await invitee.context.close();
});

test('someone with an account in another tailnet signs in with their passkey and joins', async ({
  page,
  gatehouse,
  authenticator,
  browser,
}) => {
  void authenticator;
  await setUpOwner(page, gatehouse);
  const link = await generateLink(page, 'Admin');

  // Bea sets up her own tailnet, Other Co, with her own passkey, then signs out.
  const otherSetup = await gatehouse.createTailnet('Other Co');
  const bea = await inviteeBrowser(browser);
  await open(bea.page, otherSetup);
  await bea.page.getByLabel('Your name').fill('Bea Owner');
  await bea.page.getByLabel('Email').fill('bea@other.example');
  await bea.page.getByRole('button', { name: 'Create passkey and finish setup' }).click();
  await expect(bea.page).toHaveURL(/\/admin\/[^/]+\/users$/);
  await hydrated(bea.page);
  await bea.page.getByRole('button', { name: 'Account' }).click();
  await bea.page.getByRole('menuitem', { name: 'Sign out' }).click();
  await expect(bea.page).toHaveURL(/\/login$/);

  // Owners of Other Co may join external tailnets by default.
  await open(bea.page, link);
  await bea.page.getByRole('button', { name: 'Accept invite' }).click();
  await bea.page.getByRole('button', { name: 'Sign in with passkey' }).click();
  await expect(bea.page.getByRole('heading', { name: 'Welcome to Example Co' })).toBeVisible();
  await expect(bea.page.getByText('You joined as Admin.')).toBeVisible();
  await bea.page.getByRole('link', { name: 'Open Example Co' }).click();
  await expect(bea.page).toHaveURL(/\/admin\/[^/]+\/users$/);

  await page.reload();
  await hydrated(page);
  await expect(row(page, 'bea@other.example')).toContainText('Active');
  await expect(row(page, 'bea@other.example')).toContainText('Admin');
  await bea.context.close();
});

test('an admin changes a member\'s role, suspends and restores them, exports the list and removes them', async ({
  page,
  gatehouse,
  authenticator,
  browser,
}) => {
  void authenticator;
  const problems = watchForProblems(page);
  await setUpOwner(page, gatehouse);
  const link = await generateLink(page, 'Auditor');
  const usersPage = page.url();

  const invitee = await inviteeBrowser(browser);
  const guest = invitee.page;
  await signUpWithLink(guest, link, 'Linus Torvalds', 'linus@example.com', gatehouse.mail);
  await expect(guest.getByText('You joined as Auditor.')).toBeVisible();
  // As an Auditor, Linus can read the Users page.
  await open(guest, usersPage);
  await expect(guest.getByRole('heading', { name: 'Users', level: 1 })).toBeVisible();

  await page.reload();
  await hydrated(page);
  // Nobody manages their own row here.
  await expect(page.getByRole('button', { name: 'Actions for ada@example.com' })).toHaveCount(0);
  const linus = row(page, 'linus@example.com');
  const actions = page.getByRole('button', { name: 'Actions for linus@example.com' });

  // Change role.
  await actions.click();
  await page.getByRole('menuitem', { name: 'Change role' }).click();
  const changeRole = page.getByRole('dialog', { name: 'Change the role of linus@example.com' });
  await changeRole.getByLabel('Role').selectOption({ label: 'IT admin' });
  await changeRole.getByRole('button', { name: 'Change role' }).click();
  await expect(page.getByRole('status')).toContainText('linus@example.com is now IT admin.');
  await expect(linus).toContainText('IT admin');

  // Suspend: Linus loses the page at once.
  await actions.click();
  await page.getByRole('menuitem', { name: 'Suspend user' }).click();
  await page.getByRole('alertdialog', { name: 'Suspend linus@example.com?' }).getByRole('button', { name: 'Suspend user' }).click();
  await expect(page.getByRole('status')).toContainText('linus@example.com is suspended');
  await expect(linus).toContainText('Suspended');
  const refused = await open(guest, usersPage);
  expect(refused?.status()).toBe(403);
  await expect(guest.getByRole('heading', { name: "You don't have access to this page" })).toBeVisible();

  // Restore: access is back.
  await actions.click();
  await page.getByRole('menuitem', { name: 'Restore user' }).click();
  await expect(page.getByRole('status')).toContainText('linus@example.com is active again.');
  const restored = await open(guest, usersPage);
  expect(restored?.status()).toBe(200);

  // Export users: the list as CSV.
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export users' }).click();
  const csv = readFileSync((await (await download).path()) as string, 'utf8');
  expect(csv).toContain('member,Linus Torvalds,linus@example.com,IT admin,Active,');
  expect(csv).toContain('member,Ada Owner,ada@example.com,Owner,Active,');

  // Remove user.
  await actions.click();
  await page.getByRole('menuitem', { name: 'Remove user' }).click();
  await page.getByRole('alertdialog', { name: 'Remove linus@example.com?' }).getByRole('button', { name: 'Remove user' }).click();
  await expect(page.getByRole('status')).toContainText('linus@example.com was removed from the tailnet.');
  await expect(linus).toHaveCount(0);
  expect((await open(guest, usersPage))?.status()).toBe(403);
  await invitee.context.close();
  expect(problems, 'no CSP violations or script errors').toEqual([]);
});

test('a Member of one tailnet joins another when allowed, switches between them and leaves from the sign-in page', async ({
  page,
  gatehouse,
  authenticator,
  browser,
}) => {
  void authenticator;
  test.setTimeout(90_000);
  // Tailnet A: Ada's Example Co.
  await setUpOwner(page, gatehouse);
  const usersA = page.url();

  // Tailnet B: Bea's Bea Co, with Carl as a Member (his home tailnet).
  const setupB = await gatehouse.createTailnet('Bea Co');
  const bea = await inviteeBrowser(browser);
  await open(bea.page, setupB);
  await bea.page.getByLabel('Your name').fill('Bea Owner');
  await bea.page.getByLabel('Email').fill('bea@bea.example');
  await bea.page.getByRole('button', { name: 'Create passkey and finish setup' }).click();
  await expect(bea.page).toHaveURL(/\/admin\/[^/]+\/users$/);
  await hydrated(bea.page);
  const linkB = await generateLink(bea.page, 'Member');
  const carl = await inviteeBrowser(browser);
  await signUpWithLink(carl.page, linkB, 'Carl Member', 'carl@bea.example', gatehouse.mail);
  await expect(carl.page.getByText('You joined as Member.')).toBeVisible();

  // Bea lets Members of Bea Co join external tailnets.
  await bea.page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'General settings' }).click();
  await hydrated(bea.page);
  await bea.page.getByRole('radio', { name: /^Member/ }).check();
  await expect(bea.page.getByRole('region', { name: 'Join external tailnets' }).getByRole('status')).toContainText('Saved.');

  // Carl accepts Ada's invite to Example Co.
  const linkA = await generateLink(page, 'Member');
  await open(carl.page, linkA);
  await carl.page.getByRole('button', { name: 'Accept invite' }).click();
  await expect(carl.page.getByRole('heading', { name: 'Welcome to Example Co' })).toBeVisible();
  await hydrated(carl.page);

  // The header switches between his tailnets.
  const switcher = carl.page.getByLabel('Tailnet', { exact: true });
  await expect(switcher.locator('option')).toHaveText(['Choose a tailnet', 'Bea Co', 'Example Co']);
  await switcher.selectOption({ label: 'Bea Co' });
  await expect(carl.page.getByRole('heading', { name: 'Welcome to Bea Co' })).toBeVisible();
  await hydrated(carl.page);
  await expect(carl.page.getByLabel('Tailnet', { exact: true })).toHaveValue(/.+/);
  await carl.page.getByLabel('Tailnet', { exact: true }).selectOption({ label: 'Example Co' });
  await expect(carl.page.getByRole('heading', { name: 'Welcome to Example Co' })).toBeVisible();
  await hydrated(carl.page);

  // He leaves Example Co from the account menu's "Your tailnets" (the sign-in page).
  await carl.page.getByRole('button', { name: 'Account' }).click();
  await carl.page.getByRole('menuitem', { name: 'Your tailnets' }).click();
  await expect(carl.page).toHaveURL(/\/login$/);
  await hydrated(carl.page);
  const tailnets = carl.page.getByRole('region', { name: 'Your tailnets' });
  // His home tailnet cannot be left this way.
  await expect(tailnets.getByRole('button', { name: 'Leave tailnet Bea Co' })).toHaveCount(0);
  await tailnets.getByRole('button', { name: 'Leave tailnet Example Co' }).click();
  await carl.page.getByRole('alertdialog', { name: 'Leave Example Co?' }).getByRole('button', { name: 'Leave tailnet' }).click();
  await expect(carl.page).toHaveURL(/\/login$/);
  await expect(carl.page.getByRole('region', { name: 'Your tailnets' }).getByRole('listitem')).toHaveCount(1);
  await expect(carl.page.getByRole('region', { name: 'Your tailnets' })).toContainText('Bea Co');

  // Both tailnets' audit logs show the join and the leave.
  for (const [admin, users] of [
    [page, usersA],
    [bea.page, null],
  ] as const) {
    if (users) await open(admin, users);
    await admin.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Configuration audit logs' }).click();
    const events = admin.getByRole('table', { name: 'Configuration audit events, newest first' });
    await expect(events).toContainText('Left tailnet');
    await expect(events).toContainText('Joined tailnet');
    await expect(events.locator(':scope > tbody > tr').filter({ hasText: 'Left tailnet' })).toContainText('Carl Member');
  }
  await bea.context.close();
  await carl.context.close();
});
