import { test, expect, open, hydrated, watchForProblems, newPageWithPasskeys, setUpOwner } from './fixtures';

test('the first Owner sets up the tailnet with a passkey, signs out, and signs back in', async ({
  page,
  gatehouse,
  authenticator,
}) => {
  const problems = watchForProblems(page);
  await open(page, gatehouse.setupLink);
  await expect(page.getByRole('heading', { name: 'Set up your tailnet' })).toBeVisible();

  await page.getByLabel('Tailnet name').fill('Example Co');
  await page.getByLabel('Your name').fill('Ada Owner');
  await page.getByLabel('Email').fill('ada@example.com');
  await page.getByRole('button', { name: 'Create passkey and finish setup' }).click();

  await expect(page).toHaveURL(/\/admin\/[^/]+\/users$/);
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'ada@example.com' })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'Owner', exact: true })).toBeVisible();
  await hydrated(page);
  const credentials = await authenticator.credentials();
  expect(credentials).toHaveLength(1);
  expect(credentials[0].isResidentCredential).toBe(true);

  // The menu opens on the keyboard, focuses its first item, and Escape returns focus.
  const account = page.getByRole('button', { name: 'Account' });
  await account.focus();
  await page.keyboard.press('Enter');
  await expect(account).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByRole('menuitem', { name: 'Your tailnets' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(account).toHaveAttribute('aria-expanded', 'false');
  await expect(account).toBeFocused();

  await account.click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);
  await expect(page.getByRole('button', { name: 'Account' })).toHaveCount(0);

  await page.getByRole('button', { name: 'Sign in with passkey' }).click();
  await expect(page).toHaveURL(/\/admin\/[^/]+\/users$/);
  await expect(page.getByRole('cell', { name: 'ada@example.com' })).toBeVisible();
  expect(problems, 'no CSP violations or script errors').toEqual([]);
});

test('invalid setup input is named field by field and nothing is created', async ({ page, gatehouse }) => {
  await open(page, gatehouse.setupLink);
  await page.getByLabel('Your name').fill('Ada');
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByRole('button', { name: 'Create passkey and finish setup' }).click();
  await expect(page.getByText('Enter a tailnet name.')).toBeVisible();
  await expect(page.getByText('“not-an-email” is not a valid email address.')).toBeVisible();
  await expect(page.getByLabel('Email')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Your name')).toHaveAttribute('aria-invalid', 'false');
});

test('a used, unknown or malformed setup link shows a clear page with 410 or 404', async ({
  browser,
  page,
  gatehouse,
  authenticator,
}) => {
  expect(authenticator.id).toBeTruthy();
  await open(page, gatehouse.setupLink);
  await page.getByLabel('Tailnet name').fill('Example Co');
  await page.getByLabel('Your name').fill('Ada Owner');
  await page.getByLabel('Email').fill('ada@example.com');
  await page.getByRole('button', { name: 'Create passkey and finish setup' }).click();
  await expect(page).toHaveURL(/\/users$/);

  const other = await browser.newContext();
  const visitor = await other.newPage();
  const used = await visitor.goto(gatehouse.setupLink);
  expect(used?.status()).toBe(410);
  await expect(visitor.getByRole('heading', { name: "This setup link can't be used" })).toBeVisible();
  await expect(visitor.getByText('This setup link has already been used.')).toBeVisible();

  const unknown = await visitor.goto(`${gatehouse.origin}/setup/${'x'.repeat(43)}`);
  expect(unknown?.status()).toBe(404);
  await expect(visitor.getByText('This setup link is not valid.')).toBeVisible();
  const malformed = await visitor.goto(`${gatehouse.origin}/setup/not-a-token`);
  expect(malformed?.status()).toBe(404);
  await other.close();
});

test('signing in with a passkey Gatehouse does not know shows a clear message', async ({ browser, gatehouse }) => {
  const context = await browser.newContext();
  const { page, authenticator } = await newPageWithPasskeys(context);
  await authenticator.addStrangerPasskey('localhost');
  await open(page, `${gatehouse.origin}/login`);
  await page.getByRole('button', { name: 'Sign in with passkey' }).click();
  await expect(page.getByRole('alert')).toContainText('This passkey is not registered with Gatehouse.');
  await expect(page).toHaveURL(/\/login$/);
  await context.close();
});

test('a browser without WebAuthn\'s JSON methods is told to update, and nothing is created', async ({
  page,
  gatehouse,
  authenticator,
}) => {
  // Gatehouse hands the server's options to the browser's own WebAuthn JSON parser.
  await page.addInitScript(() => {
    delete (PublicKeyCredential as unknown as Record<string, unknown>).parseCreationOptionsFromJSON;
  });
  await open(page, gatehouse.setupLink);
  await page.getByLabel('Tailnet name').fill('Example Co');
  await page.getByLabel('Your name').fill('Ada Owner');
  await page.getByLabel('Email').fill('ada@example.com');
  await page.getByRole('button', { name: 'Create passkey and finish setup' }).click();
  await expect(page.getByRole('alert')).toContainText(
    'This browser does not support passkeys. Use a current version of Chrome, Edge, Firefox or Safari.',
  );
  await expect(page.getByRole('heading', { name: 'Set up your tailnet' })).toBeVisible();
  expect(await authenticator.credentials()).toHaveLength(0);
});

test('a tailnet created from the command line is claimed through its own setup link', async ({
  page,
  gatehouse,
  authenticator,
}) => {
  expect(authenticator.id).toBeTruthy();
  const link = await gatehouse.createTailnet('Ops team');
  await open(page, link);
  await expect(page.getByLabel('Tailnet name')).toHaveValue('Ops team');
  await page.getByLabel('Your name').fill('Olu Ops');
  await page.getByLabel('Email').fill('olu@example.com');
  await page.getByRole('button', { name: 'Create passkey and finish setup' }).click();
  await expect(page).toHaveURL(/\/users$/);
  await expect(page.getByText('Ops team')).toBeVisible();
});

test('a cross-site POST is refused with 403', async ({ request, gatehouse }) => {
  const response = await request.post(`${gatehouse.origin}/api/start_sign_in`, {
    headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
    data: '{}',
  });
  expect(response.status()).toBe(403);
});

test('a page opened while signed out returns to itself after signing in', async ({
  page,
  gatehouse,
  authenticator,
}) => {
  void authenticator; // the virtual passkey device Ada signs in with
  await setUpOwner(page, gatehouse);
  const logs = page.url().replace(/\/users$/, '/logs?event=USER.LOGIN');
  await page.getByRole('button', { name: 'Account' }).click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);

  await open(page, logs);
  await expect(page.getByRole('heading', { name: 'Please sign in' })).toBeVisible();
  await page.getByRole('main').getByRole('link', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/login\?next=%2Fadmin%2F[^%]+%2Flogs%3Fevent%3DUSER.LOGIN$/);
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign in with passkey' }).click();
  await expect(page).toHaveURL(logs);
  await expect(page.getByRole('heading', { name: 'Configuration audit logs' })).toBeVisible();
  await hydrated(page);

  // Another site is never a destination: the person lands on their own page instead.
  await page.getByRole('button', { name: 'Account' }).click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await open(page, `${gatehouse.origin}/login?next=//evil.example/`);
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign in with passkey' }).click();
  await expect(page).toHaveURL(/\/admin\/[^/]+\/users$/);
});
