import {
  test,
  expect,
  generateLink,
  hydrated,
  inviteeBrowser,
  open,
  row,
  setUpOwner,
  signUpWithLink,
  watchForProblems,
} from './fixtures';
import { RelyingParty } from './relying_party';

test('an admin adds an OIDC client; members sign in to it with their passkey, a suspended member is refused', async ({
  page,
  browser,
  gatehouse,
  authenticator,
}) => {
  test.setTimeout(120_000);
  const problems = watchForProblems(page);
  const rp = await RelyingParty.start();
  try {
    await setUpOwner(page, gatehouse);
    const usersPage = page.url();

    // "OIDC clients": empty at first; "Add OIDC client" shows the secret once.
    await page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'OIDC clients' }).click();
    await expect(page.getByRole('heading', { name: 'OIDC clients', level: 1 })).toBeVisible();
    await hydrated(page);
    await expect(page.getByText('No OIDC clients yet.')).toBeVisible();
    await expect(page.locator('#issuer-url')).toHaveText(gatehouse.origin);
    await page.getByRole('button', { name: 'Add OIDC client' }).click();
    const form = page.getByRole('form', { name: 'Add OIDC client' });
    await form.getByRole('textbox', { name: 'Name' }).fill('Headscale');
    await form.getByRole('textbox', { name: 'Callback URLs' }).fill('ftp://nowhere.example/cb');
    await form.getByRole('button', { name: 'Add client' }).click();
    await expect(form.getByRole('textbox', { name: 'Callback URLs' })).toHaveAttribute('aria-invalid', 'true');
    await expect(form).toContainText('use an https URL');
    await form.getByRole('textbox', { name: 'Callback URLs' }).fill(rp.callbackUrl);
    await form.getByRole('button', { name: 'Add client' }).click();
    const revealed = page.getByRole('region', { name: 'Headscale added' });
    await expect(revealed).toBeVisible();
    const clientId = (await revealed.locator('dd code').textContent()) ?? '';
    const secret = await revealed.getByRole('textbox', { name: 'Client secret' }).inputValue();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const settings = revealed.locator('pre');
    await expect(settings).toContainText(`issuer: "${gatehouse.origin}"`);
    await expect(settings).toContainText(`client_id: "${clientId}"`);
    await expect(settings).toContainText(`client_secret: "${secret}"`);
    await revealed.getByRole('button', { name: 'Done' }).click();
    await expect(row(page, 'Headscale')).toContainText(clientId);
    await page.reload();
    await hydrated(page);
    await expect(row(page, 'Headscale')).toBeVisible();
    expect(await page.content(), 'the secret is shown only once').not.toContain(secret);
    await rp.configure(gatehouse.origin, clientId, secret);

    // Signed in already: no extra screen, straight back to the client with verified claims.
    await page.goto(`${rp.origin}/login`);
    await expect(page.getByRole('heading', { name: 'Signed in' })).toBeVisible();
    await expect(page.locator('[data-claim="email"]')).toHaveText('"ada@example.com"');
    await expect(page.locator('[data-claim="email_verified"]')).toHaveText('true');
    await expect(page.locator('[data-claim="groups"]')).toHaveText('["owner"]');
    await expect(page.locator('[data-claim="userinfo email"]')).toHaveText('"ada@example.com"');

    // Another browser with Ada's passkey but no session: the passkey sign-in, then the client.
    const laptop = await inviteeBrowser(browser);
    for (const credential of await authenticator.credentials()) {
      await laptop.authenticator.addCredential(credential);
    }
    await laptop.page.goto(`${rp.origin}/login`);
    await expect(laptop.page).toHaveURL(/\/login\?next=%2Foidc%2Fauthorize/);
    await hydrated(laptop.page);
    await laptop.page.getByRole('button', { name: 'Sign in with passkey' }).click();
    await expect(laptop.page.getByRole('heading', { name: 'Signed in' })).toBeVisible();
    await expect(laptop.page.locator('[data-claim="name"]')).toHaveText('"Ada Owner"');
    await laptop.context.close();

    // A member who is suspended sees Gatehouse's page; the client hears only if they go back.
    await open(page, usersPage);
    const link = await generateLink(page, 'Member');
    const invitee = await inviteeBrowser(browser);
    const guest = invitee.page;
    const guestProblems = watchForProblems(guest);
    await signUpWithLink(guest, link, 'Linus Torvalds', 'linus@example.com', gatehouse.mail);
    await expect(guest.getByText('You joined as Member.')).toBeVisible();
    await page.reload();
    await hydrated(page);
    await page.getByRole('button', { name: 'Actions for linus@example.com' }).click();
    await page.getByRole('menuitem', { name: 'Suspend user' }).click();
    await page
      .getByRole('alertdialog', { name: 'Suspend linus@example.com?' })
      .getByRole('button', { name: 'Suspend user' })
      .click();
    await expect(row(page, 'linus@example.com')).toContainText('Suspended');

    await guest.goto(`${rp.origin}/login`);
    await expect(guest.getByRole('heading', { name: 'You cannot sign in here' })).toBeVisible();
    await expect(guest.getByRole('alert')).toHaveText('Your access to Example Co is suspended.');
    await expect(guest.getByRole('button', { name: 'Sign in as someone else' })).toBeVisible();
    await guest.getByRole('link', { name: 'Back to Headscale' }).click();
    await expect(guest.getByRole('heading', { name: 'Sign-in refused' })).toBeVisible();
    await expect(guest.locator('#error')).toHaveText('access_denied');
    expect(guestProblems, 'no CSP violations or script errors').toEqual([]);

    // Both sign-ins and the refusal are in the configuration audit logs.
    await open(page, usersPage.replace(/\/users$/, '/logs'));
    const events = page.getByRole('table', { name: 'Configuration audit events, newest first' });
    await expect(events).toContainText('Sign-in to an OIDC client refused');
    await expect(events).toContainText('OIDC client added');
    expect(problems, 'no CSP violations or script errors').toEqual([]);
  } finally {
    await rp.close();
  }
});
