// Passkeys managed on the Account page, recovery links, and passkey autofill on the sign-in
// page; each person's devices are virtual authenticators that can be lost and added.
import type { Page } from '@playwright/test';
import {
  test,
  expect,
  open,
  hydrated,
  Authenticator,
  setUpOwner,
  inviteeBrowser,
  generateLink,
  signUpWithLink,
  row,
  watchForProblems,
} from './fixtures';

/** Opens "Account" from the account menu. */
async function openAccount(page: Page) {
  await page.getByRole('button', { name: 'Account' }).click();
  await page.getByRole('menuitem', { name: 'Account' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Account', level: 1 })).toBeVisible();
}

function passkeyNames(page: Page) {
  return page.getByRole('table').getByRole('row').locator('td:first-child .passkey-name');
}

async function signOut(page: Page) {
  // After a sign-in the next page is a fresh load: a click before it hydrates does nothing.
  await hydrated(page);
  await page.getByRole('button', { name: 'Account' }).click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);
}

test('Ada adds a second passkey, deletes the first and signs in with the second', async ({
  page,
  gatehouse,
  authenticator,
}) => {
  const problems = watchForProblems(page);
  await setUpOwner(page, gatehouse);
  await openAccount(page);
  await expect(passkeyNames(page)).toHaveText(['Passkey 1']);
  await expect(row(page, 'Passkey 1')).toContainText('Signed in here');
  await expect(page.getByText('This is your only passkey, so it cannot be deleted.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Delete Passkey 1' })).toHaveCount(0);

  // Her first passkey lives on a device she is about to replace; keep a copy to try it later.
  const [first] = await authenticator.credentials();
  await authenticator.remove();
  const laptop = await Authenticator.attach(page, { synced: true });
  await page.getByLabel('Name for the new passkey (optional)').fill('Work laptop');
  await page.getByRole('button', { name: 'Add passkey' }).click();
  await expect(page.getByRole('status')).toContainText('Passkey added.');
  await expect(passkeyNames(page)).toHaveText(['Passkey 1', 'Work laptop']);
  await expect(row(page, 'Passkey 1')).toContainText('This device only');
  await expect(row(page, 'Work laptop')).toContainText('Synced');
  expect(await laptop.credentials()).toHaveLength(1);

  // Delete asks first; Cancel returns focus to the button.
  const deleteFirst = page.getByRole('button', { name: 'Delete Passkey 1' });
  await deleteFirst.click();
  const confirm = page.getByRole('alertdialog', { name: 'Delete passkey “Passkey 1”?' });
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(deleteFirst).toBeFocused();
  await deleteFirst.click();
  await confirm.getByRole('button', { name: 'Delete passkey' }).click();
  await expect(page.getByRole('status')).toContainText('Passkey “Passkey 1” deleted.');
  await expect(passkeyNames(page)).toHaveText(['Work laptop']);

  // Rename.
  await page.getByRole('button', { name: 'Rename Work laptop' }).click();
  const rename = page.getByRole('dialog', { name: 'Rename Work laptop' });
  await rename.getByLabel('Passkey name').fill('Laptop');
  await rename.getByRole('button', { name: 'Rename' }).click();
  await expect(page.getByRole('status')).toContainText('Passkey renamed to “Laptop”.');
  await expect(passkeyNames(page)).toHaveText(['Laptop']);

  await signOut(page);
  await page.getByRole('button', { name: 'Sign in with passkey' }).click();
  await expect(page).toHaveURL(/\/admin\/[^/]+\/users$/);

  // The deleted passkey, found again on an old device, no longer signs in.
  await signOut(page);
  await laptop.remove();
  const oldDevice = await Authenticator.attach(page);
  await oldDevice.addCredential(first);
  await page.getByRole('button', { name: 'Sign in with passkey' }).click();
  await expect(page.getByRole('alert')).toContainText('This passkey is not registered with Gatehouse.');
  await expect(page).toHaveURL(/\/login$/);
  expect(problems, 'no CSP violations or script errors').toEqual([]);
});

test('a member who lost their passkey gets back in with a recovery link from an admin', async ({
  page,
  gatehouse,
  authenticator,
  browser,
}) => {
  void authenticator;
  await setUpOwner(page, gatehouse);
  const users = page.url();
  const link = await generateLink(page, 'Member');
  const linus = await inviteeBrowser(browser);
  await signUpWithLink(linus.page, link, 'Linus Member', 'linus@example.com', gatehouse.mail);
  await expect(linus.page).toHaveURL(/\/welcome\//);

  // Linus loses his only device.
  await linus.authenticator.remove();
  const newPhone = await Authenticator.attach(linus.page);

  await page.reload();
  await hydrated(page);
  await row(page, 'linus@example.com').getByRole('button', { name: 'Actions for linus@example.com' }).click();
  await page.getByRole('menuitem', { name: 'Recovery link' }).click();
  await page
    .getByRole('dialog', { name: 'Create a recovery link for linus@example.com?' })
    .getByRole('button', { name: 'Create recovery link' })
    .click();
  // With email configured the link goes to Linus alone: Ada never sees it.
  await expect(
    page.getByText(/A recovery link, valid once until .*, is on its way to linus@example\.com by email\. Only they receive it\./),
  ).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Recovery link' })).toHaveCount(0);
  const recovery = await gatehouse.mail.linkFor('linus@example.com', 'recover');
  expect(recovery).toMatch(/\/recover\/[A-Za-z0-9_-]{43}$/);

  await open(linus.page, recovery);
  await expect(linus.page.getByRole('heading', { name: 'Recover your account' })).toBeVisible();
  await expect(linus.page.getByText('This link lets Linus Member (linus@example.com) create a new passkey')).toBeVisible();
  await linus.page.getByRole('button', { name: 'Create a new passkey' }).click();
  await expect(linus.page).toHaveURL(/\/account$/);
  await hydrated(linus.page);
  await expect(passkeyNames(linus.page)).toHaveText(['Passkey 1', 'Passkey 2']);
  expect(await newPhone.credentials()).toHaveLength(1);

  // He removes the lost passkey, then signs in with the new one.
  await linus.page.getByRole('button', { name: 'Delete Passkey 1' }).click();
  await linus.page.getByRole('alertdialog').getByRole('button', { name: 'Delete passkey' }).click();
  await expect(passkeyNames(linus.page)).toHaveText(['Passkey 2']);
  await signOut(linus.page);
  await linus.page.getByRole('button', { name: 'Sign in with passkey' }).click();
  await expect(linus.page).toHaveURL(/\/$/);
  await expect(linus.page.getByRole('button', { name: 'Account' })).toBeVisible();

  // The link worked once.
  const again = await linus.page.goto(recovery);
  expect(again?.status()).toBe(410);
  await expect(linus.page.getByRole('heading', { name: 'Recovery link not valid' })).toBeVisible();

  // Ada's audit log shows both ends.
  await page.goto(users.replace(/\/users$/, '/logs'));
  await hydrated(page);
  await expect(page.getByRole('cell', { name: /^Recovery link issued USER/ })).toBeVisible();
  await expect(page.getByRole('cell', { name: /^Recovery link used USER/ })).toBeVisible();
  await linus.context.close();
});

test('the sign-in page offers passkeys in the email field, and says when a browser has none', async ({
  page,
  gatehouse,
  authenticator,
  browser,
}) => {
  void authenticator;
  await setUpOwner(page, gatehouse);
  await signOut(page);
  // Focusing the field starts the autofill request; the virtual authenticator picks Ada's passkey.
  await page.getByLabel('Email', { exact: true }).focus();
  await expect(page).toHaveURL(/\/admin\/[^/]+\/users$/);

  const context = await browser.newContext();
  const old = await context.newPage();
  await old.addInitScript(() => {
    delete (window as { PublicKeyCredential?: unknown }).PublicKeyCredential;
  });
  await open(old, `${gatehouse.origin}/login`);
  await expect(old.getByRole('alert')).toContainText('This browser does not support passkeys.');
  await context.close();
});

test.describe('with GATEHOUSE_RECENT_SIGN_IN=10s', () => {
  test.use({ gatehouseEnv: { GATEHOUSE_RECENT_SIGN_IN: '10s' } });

  test('deleting a passkey long after signing in asks to confirm with a passkey first', async ({
    page,
    gatehouse,
    authenticator,
  }) => {
    await setUpOwner(page, gatehouse);
    await openAccount(page);
    await authenticator.remove();
    await Authenticator.attach(page);
    await page.getByRole('button', { name: 'Add passkey' }).click();
    await expect(passkeyNames(page)).toHaveText(['Passkey 1', 'Passkey 2']);

    // Ten seconds later the sign-in is no longer recent.
    await page.waitForTimeout(10_500);
    await page.getByRole('button', { name: 'Delete Passkey 1' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete passkey' }).click();
    const confirm = page.getByRole('dialog', { name: "Confirm it's you" });
    await expect(confirm).toBeVisible();
    await expect(passkeyNames(page)).toHaveText(['Passkey 1', 'Passkey 2']);
    await confirm.getByRole('button', { name: 'Confirm with passkey' }).click();
    await expect(confirm).toHaveCount(0);
    await expect(page.getByRole('status')).toContainText('Passkey “Passkey 1” deleted.');
    await expect(passkeyNames(page)).toHaveText(['Passkey 2']);
  });
});

test('a copy of a passkey that counts backwards is refused, and the audit log records it', async ({
  page,
  gatehouse,
  authenticator,
}) => {
  await setUpOwner(page, gatehouse);
  const users = page.url();
  const [copy] = await authenticator.credentials();
  // The real device signs in again: its counter moves on, and Gatehouse stores it.
  await signOut(page);
  await page.getByRole('button', { name: 'Sign in with passkey' }).click();
  await expect(page).toHaveURL(/\/users$/);
  await signOut(page);
  const [device] = await authenticator.credentials();
  expect(device.signCount).toBeGreaterThan(copy.signCount);

  // The copy, made before that sign-in, counts from where it was copied.
  await authenticator.remove();
  const clone = await Authenticator.attach(page);
  await clone.addCredential(copy);
  await page.getByRole('button', { name: 'Sign in with passkey' }).click();
  await expect(page.getByRole('alert')).toContainText('its signature counter went backwards');
  await expect(page).toHaveURL(/\/login$/);

  // The real device still signs in, and the attempt is in the log.
  await clone.remove();
  const real = await Authenticator.attach(page);
  await real.addCredential(device);
  await page.getByRole('button', { name: 'Sign in with passkey' }).click();
  await expect(page).toHaveURL(/\/users$/);
  await page.goto(users.replace(/\/users$/, '/logs'));
  await hydrated(page);
  await expect(page.getByRole('cell', { name: /^Sign-in refused: passkey may be cloned USER/ })).toBeVisible();
});

test('an approver turns off the email about people waiting for approval on the Account page', async ({
  page,
  gatehouse,
  authenticator,
}) => {
  void authenticator;
  await setUpOwner(page, gatehouse);
  await page.goto(`${gatehouse.origin}/account`);
  await hydrated(page);
  const setting = page.getByRole('checkbox', { name: 'Email me when someone needs approval', exact: true });
  await expect(setting).toBeChecked();
  await expect(setting).toHaveAccessibleDescription(/One email for each person who starts waiting/);
  await setting.uncheck();
  await expect(page.locator('#approval-emails-status')).toHaveText('Saved.');
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('checkbox', { name: 'Email me when someone needs approval', exact: true })).not.toBeChecked();
});
