import { test, expect, hydrated, row, setUpOwner, watchForProblems } from './fixtures';

test('an admin generates an API access token, a script invites with it, and revoking it stops the script', async ({
  page,
  gatehouse,
  authenticator,
}) => {
  void authenticator;
  const problems = watchForProblems(page);
  await setUpOwner(page, gatehouse);
  const usersPage = page.url();
  await page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Keys' }).click();
  await expect(page.getByRole('heading', { name: 'Keys', level: 1 })).toBeVisible();
  await hydrated(page);
  await expect(page.getByText('No access tokens yet.')).toBeVisible();

  await page.getByRole('button', { name: 'Generate access token' }).click();
  const form = page.getByRole('form', { name: 'Generate access token' });
  await form.getByRole('textbox', { name: 'Description' }).fill('onboarding bot');
  await form.getByRole('spinbutton', { name: 'Expiry (days)' }).fill('91');
  await form.getByRole('button', { name: 'Generate' }).click();
  await expect(form.getByRole('spinbutton', { name: 'Expiry (days)' })).toHaveAttribute('aria-invalid', 'true');
  await form.getByRole('spinbutton', { name: 'Expiry (days)' }).fill('30');
  await form.getByRole('button', { name: 'Generate' }).click();
  const generated = page.getByRole('region', { name: 'Access token generated' });
  const token = await generated.getByRole('textbox', { name: 'Access token' }).inputValue();
  expect(token).toMatch(/^tskey-api-k[0-9a-f]{16}-[A-Za-z0-9_-]{43}$/);
  await generated.getByRole('button', { name: 'Done' }).click();
  await expect(row(page, 'onboarding bot')).toContainText('ada@example.com');

  // A script, knowing only the base URL and the token, invites someone.
  const api = `${gatehouse.origin.replace('localhost', '127.0.0.1')}/api/v2`;
  const invited = await fetch(`${api}/tailnet/-/user-invites`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify([{ email: 'script@example.com', role: 'member' }]),
  });
  expect(invited.status).toBe(200);
  const [invite] = await invited.json();
  expect(invite).toMatchObject({ email: 'script@example.com', role: 'member' });
  await page.goto(usersPage);
  await hydrated(page);
  await expect(row(page, 'script@example.com')).toBeVisible();

  // Revoked on the Keys page (asks first): the script is refused at once.
  await page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Keys' }).click();
  await hydrated(page);
  await row(page, 'onboarding bot').getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('alertdialog', { name: 'Revoke onboarding bot?' }).getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'onboarding bot revoked.' })).toBeVisible();
  await expect(row(page, 'onboarding bot')).toContainText('Revoked');
  const refused = await fetch(`${api}/tailnet/-/user-invites`, { headers: { authorization: `Bearer ${token}` } });
  expect(refused.status).toBe(401);
  expect(await refused.json()).toHaveProperty('message');
  expect(problems, 'no CSP violations or script errors').toEqual([]);
});

test('an admin generates an OAuth client with chosen scopes; its hour-long tokens read users but cannot invite, and revoking it stops them', async ({
  page,
  gatehouse,
  authenticator,
}) => {
  void authenticator;
  const problems = watchForProblems(page);
  await setUpOwner(page, gatehouse);
  await page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Keys' }).click();
  await hydrated(page);
  await expect(page.getByText('No OAuth clients yet.')).toBeVisible();

  await page.getByRole('button', { name: 'Generate OAuth client' }).click();
  const form = page.getByRole('form', { name: 'Generate OAuth client' });
  await form.getByRole('textbox', { name: 'Description' }).fill('directory sync');
  await form.getByRole('button', { name: 'Generate' }).click();
  await expect(form.getByText('Choose at least one scope.')).toBeVisible();
  const usersRead = form.getByRole('checkbox', { name: 'users:read', exact: true });
  await expect(usersRead).toHaveAccessibleDescription('List users and open invites.');
  await usersRead.check();
  await form.getByRole('button', { name: 'Generate' }).click();
  const generated = page.getByRole('region', { name: 'OAuth client generated' });
  const clientId = await generated.getByRole('textbox', { name: 'Client ID' }).inputValue();
  const secret = await generated.getByRole('textbox', { name: 'Client secret' }).inputValue();
  expect(secret).toMatch(new RegExp(`^tskey-client-${clientId}-[A-Za-z0-9_-]{43}$`));
  await generated.getByRole('button', { name: 'Done' }).click();
  await expect(row(page, 'directory sync')).toContainText('users:read');

  // A script exchanges the id and secret, as OAuth client-credentials libraries do.
  const api = `${gatehouse.origin.replace('localhost', '127.0.0.1')}/api/v2`;
  const exchanged = await fetch(`${api}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }),
  });
  expect(exchanged.status).toBe(200);
  const answer = await exchanged.json();
  expect(answer).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'users:read' });
  const bearer = { authorization: `Bearer ${answer.access_token}` };
  const users = await fetch(`${api}/tailnet/-/users`, { headers: bearer });
  expect(users.status).toBe(200);
  const invite = await fetch(`${api}/tailnet/-/user-invites`, {
    method: 'POST',
    headers: { ...bearer, 'content-type': 'application/json' },
    body: JSON.stringify([{ email: 'nope@example.com' }]),
  });
  expect(invite.status).toBe(403);

  await row(page, 'directory sync').getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('alertdialog', { name: 'Revoke directory sync?' }).getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'directory sync revoked.' })).toBeVisible();
  await expect(row(page, 'directory sync')).toContainText('Revoked');
  expect((await fetch(`${api}/tailnet/-/users`, { headers: bearer })).status).toBe(401);
  expect(problems, 'no CSP violations or script errors').toEqual([]);
});
