import { test, expect, open, hydrated, setUpOwner, watchForProblems } from './fixtures';

test('an admin invites two people by email, finds them, resends, deletes, and the deleted link stops working', async ({
  page,
  gatehouse,
  authenticator,
}) => {
  void authenticator;
  const problems = watchForProblems(page);
  await setUpOwner(page, gatehouse);
  await expect(page.getByText('Example Co · 1 active user')).toBeVisible();

  // Invite by email: two addresses, one role.
  const inviteButton = page.getByRole('button', { name: 'Invite external users' });
  await inviteButton.click();
  const dialog = page.getByRole('dialog', { name: 'Invite external users' });
  await expect(dialog.getByRole('tab', { name: 'Invite by email' })).toHaveAttribute('aria-selected', 'true');
  await expect(dialog.getByLabel('Email addresses')).toBeFocused();
  // Tab stays inside the dialog: backwards from the first control reaches the last one.
  await dialog.getByRole('button', { name: 'Close' }).focus();
  await page.keyboard.press('Shift+Tab');
  await expect(dialog.getByRole('button', { name: 'Invite', exact: true })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(dialog.getByRole('button', { name: 'Close' })).toBeFocused();
  await dialog.getByLabel('Email addresses').fill('grace@example.com,\nlinus@example.com');
  await dialog.getByRole('tabpanel', { name: 'Invite by email' }).getByLabel('Role').selectOption({ label: 'IT admin' });
  await dialog.getByRole('button', { name: 'Invite', exact: true }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole('status')).toContainText('Invited 2 people: grace@example.com, linus@example.com.');
  await expect(inviteButton).toBeFocused();

  const grace = page.getByRole('row').filter({ hasText: 'grace@example.com' });
  const linus = page.getByRole('row').filter({ hasText: 'linus@example.com' });
  await expect(grace).toContainText('Invited');
  await expect(grace).toContainText('IT admin');
  await expect(linus).toContainText('Invited');

  // The filters are answered by the server.
  await page.getByLabel('Status').selectOption({ label: 'Invited' });
  await expect(page.getByRole('row').filter({ hasText: 'ada@example.com' })).toHaveCount(0);
  await expect(grace).toBeVisible();
  await expect(linus).toBeVisible();
  await page.getByLabel('Search').fill('grac');
  await expect(linus).toHaveCount(0);
  await expect(grace).toBeVisible();
  await page.getByLabel('Search').fill('');
  await page.getByLabel('Status').selectOption({ label: 'Active' });
  await expect(grace).toHaveCount(0);
  await expect(page.getByRole('row').filter({ hasText: 'ada@example.com' })).toBeVisible();
  await page.getByLabel('Status').selectOption({ label: 'All' });
  await expect(linus).toBeVisible();

  // Both emails reach the SMTP server, each with its own link.
  const graceLink = await gatehouse.mail.inviteLinkFor('grace@example.com');
  const linusLink = await gatehouse.mail.inviteLinkFor('linus@example.com');
  expect(graceLink).not.toEqual(linusLink);

  // Resend within the first minute is refused with the time to wait.
  await page.getByRole('button', { name: 'Actions for grace@example.com' }).click();
  await expect(page.getByRole('menuitem', { name: 'Resend user invite' })).toBeFocused();
  await page.getByRole('menuitem', { name: 'Resend user invite' }).click();
  await expect(page.getByRole('alert')).toContainText(/Try again in \d+ seconds\./);

  // Delete asks first; then the link stops working.
  await page.getByRole('button', { name: 'Actions for linus@example.com' }).click();
  await page.getByRole('menuitem', { name: 'Delete invite' }).click();
  const confirm = page.getByRole('alertdialog', { name: 'Delete the invite for linus@example.com?' });
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(linus).toBeVisible();
  await page.getByRole('button', { name: 'Actions for linus@example.com' }).click();
  await page.getByRole('menuitem', { name: 'Delete invite' }).click();
  await confirm.getByRole('button', { name: 'Delete invite' }).click();
  await expect(page.getByRole('status')).toContainText('Invite for linus@example.com deleted.');
  await expect(linus).toHaveCount(0);
  await expect(grace).toBeVisible();

  const invitee = await page.context().browser()!.newPage();
  const deleted = await open(invitee, linusLink);
  expect(deleted?.status()).toBe(404);
  await expect(invitee.getByText('This invite is no longer valid. Ask the person who invited you for a new one.')).toBeVisible();
  const still = await open(invitee, graceLink);
  expect(still?.status()).toBe(200);
  await expect(invitee.getByText('Ada Owner invited you to join the tailnet Example Co as IT admin.')).toBeVisible();
  await invitee.close();
  expect(problems, 'no CSP violations or script errors').toEqual([]);
});

test('an admin generates an invite link, which is shown, copied and works', async ({
  page,
  context,
  gatehouse,
  authenticator,
}) => {
  void authenticator;
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gatehouse.origin });
  await setUpOwner(page, gatehouse);
  await page.getByRole('button', { name: 'Invite external users' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite external users' });
  // The tabs follow the arrow keys.
  await dialog.getByRole('tab', { name: 'Invite by email' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(dialog.getByRole('tab', { name: 'Copy invite link' })).toHaveAttribute('aria-selected', 'true');
  await dialog.getByRole('tabpanel', { name: 'Copy invite link' }).getByLabel('Role').selectOption({ label: 'Auditor' });
  await dialog.getByRole('button', { name: 'Generate & copy invite link' }).click();

  const field = dialog.getByRole('textbox', { name: 'Invite link' });
  await expect(field).toHaveValue(/\/invite\/[A-Za-z0-9_-]{43}$/);
  const link = await field.inputValue();
  await expect(dialog.getByText('Copied to the clipboard.')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);

  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  const row = page.getByRole('row').filter({ hasText: 'Invite link' });
  await expect(row).toContainText('Auditor');
  await expect(row).toContainText('Invited');

  // "Copy invite link" in the row gives the same link.
  await row.getByRole('button', { name: /^Actions for invite link of / }).click();
  await page.getByRole('menuitem', { name: 'Copy invite link' }).click();
  await expect(page.getByRole('textbox', { name: 'Invite link' })).toHaveValue(link);

  const invitee = await context.browser()!.newPage();
  const response = await open(invitee, link);
  expect(response?.status()).toBe(200);
  await expect(invitee.getByRole('heading', { name: 'Join Example Co' })).toBeVisible();
  await invitee.close();
  await hydrated(page);
});
