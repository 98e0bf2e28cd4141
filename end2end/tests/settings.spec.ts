import { test, expect, hydrated, setUpOwner, watchForProblems } from './fixtures';

test('the Owner chooses who may join external tailnets and turns on user approval in General settings', async ({
  page,
  gatehouse,
  authenticator,
}) => {
  void authenticator;
  const problems = watchForProblems(page);
  await setUpOwner(page, gatehouse);
  const nav = page.getByRole('navigation', { name: 'Admin console' });
  await nav.getByRole('link', { name: 'General settings' }).click();
  await expect(page).toHaveURL(/\/admin\/[^/]+\/settings$/);
  await expect(page.getByRole('heading', { name: 'General settings', level: 1 })).toBeVisible();
  await hydrated(page);
  await expect(page.getByText('Organization')).toBeVisible();

  // "Join external tailnets": Admin by default; choosing Member saves at once.
  const joinExternal = page.getByRole('region', { name: 'Join external tailnets' });
  await expect(joinExternal.getByRole('radio', { name: /^Admin/ })).toBeChecked();
  await joinExternal.getByRole('radio', { name: /^Member/ }).check();
  await expect(joinExternal.getByRole('status')).toContainText('Saved.');
  await expect(joinExternal.getByRole('status')).toContainText('Auditor and Member');

  // "User approval": off by default.
  const approval = page.getByRole('region', { name: 'User approval' });
  const manually = approval.getByRole('checkbox', { name: /^Manually approve new users/ });
  await expect(manually).not.toBeChecked();
  await manually.check();
  await expect(approval.getByRole('status')).toContainText("New users wait for an admin's approval.");

  // "Coordination server URL": a bad address is refused at the field; a good one is saved and
  // the home page then says how to join the network with it.
  const coordination = page.getByRole('region', { name: 'Coordination server URL' });
  const address = coordination.getByRole('textbox', { name: 'Coordination server URL' });
  await address.fill('http://headscale.example.com');
  await coordination.getByRole('button', { name: 'Save' }).click();
  await expect(address).toHaveAttribute('aria-invalid', 'true');
  await expect(coordination).toContainText('Use an https address');
  await address.fill('https://headscale.example.com/');
  await coordination.getByRole('button', { name: 'Save' }).click();
  await expect(coordination.getByRole('status')).toContainText(
    'Saved. People are told to join with tailscale up --login-server https://headscale.example.com.',
  );
  await expect(address).toHaveValue('https://headscale.example.com');

  // Both are kept: a fresh load shows them.
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('radio', { name: /^Member/ })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: /^Manually approve new users/ })).toBeChecked();

  await expect(page.getByRole('textbox', { name: 'Coordination server URL' })).toHaveValue(
    'https://headscale.example.com',
  );
  const settingsUrl = page.url();
  await page.goto(new URL('/', settingsUrl).href);
  await expect(page.getByRole('heading', { name: 'Connect your devices' })).toBeVisible();
  await expect(page.locator('code.command')).toHaveText('tailscale up --login-server https://headscale.example.com');
  await expect(page.getByRole('link', { name: 'Download the client' })).toBeVisible();
  await page.goto(settingsUrl);
  await hydrated(page);

  // And the changes are in the configuration audit logs.
  await nav.getByRole('link', { name: 'Configuration audit logs' }).click();
  const events = page.getByRole('table', { name: 'Configuration audit events, newest first' });
  await expect(events).toContainText('User approval turned on');
  await expect(events).toContainText('Join external tailnets changed');
  await expect(events).toContainText('Coordination server URL changed');
  expect(problems, 'no CSP violations or script errors').toEqual([]);
});

test.describe('with GATEHOUSE_RECENT_SIGN_IN=10s', () => {
  test.use({ gatehouseEnv: { GATEHOUSE_RECENT_SIGN_IN: '10s' } });

  test('long after signing in, a setting and an admin-role invite link ask to confirm with a passkey first', async ({
    page,
    gatehouse,
    authenticator,
  }) => {
    void authenticator;
    await setUpOwner(page, gatehouse);
    const users = page.url();
    // Ten seconds later the sign-in is no longer recent.
    await page.waitForTimeout(10_500);

    // A Member link is an everyday change: no question asked.
    await page.getByRole('button', { name: 'Invite external users' }).click();
    const invite = page.getByRole('dialog', { name: 'Invite external users' });
    await invite.getByRole('tab', { name: 'Copy invite link' }).click();
    const linkPanel = invite.getByRole('tabpanel', { name: 'Copy invite link' });
    await invite.getByRole('button', { name: 'Generate & copy invite link' }).click();
    await expect(invite.getByRole('textbox', { name: 'Invite link' })).toHaveValue(/\/invite\//);

    // An IT admin link asks first, above the invite dialog, and is made once confirmed.
    await linkPanel.getByLabel('Role').selectOption({ label: 'IT admin' });
    const firstLink = await invite.getByRole('textbox', { name: 'Invite link' }).inputValue();
    await invite.getByRole('button', { name: 'Generate & copy invite link' }).click();
    const confirm = page.getByRole('dialog', { name: "Confirm it's you" });
    await expect(confirm).toBeVisible();
    await confirm.getByRole('button', { name: 'Confirm with passkey' }).click();
    await expect(confirm).toHaveCount(0);
    await expect(invite.getByRole('textbox', { name: 'Invite link' })).not.toHaveValue(firstLink);
    await page.keyboard.press('Escape');
    await expect(page.getByRole('cell', { name: 'IT admin', exact: true })).toBeVisible();

    // Confirmed a moment ago, so the setting saves at once... until ten seconds pass again.
    await page.goto(users.replace(/\/users$/, '/settings'));
    await hydrated(page);
    await page.waitForTimeout(10_500);
    const approval = page.getByRole('region', { name: 'User approval' });
    const manually = approval.getByRole('checkbox', { name: /^Manually approve new users/ });
    // Clicked, not `check()`ed: the box shows the saved state again while the change waits.
    await manually.click();
    await expect(confirm).toBeVisible();
    // Cancelling changes nothing.
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect(confirm).toHaveCount(0);
    await expect(manually).not.toBeChecked();
    await page.reload();
    await hydrated(page);
    await expect(manually).not.toBeChecked();
    // Confirming saves it.
    await manually.click();
    await confirm.getByRole('button', { name: 'Confirm with passkey' }).click();
    await expect(approval.getByRole('status')).toContainText("New users wait for an admin's approval.");
    await expect(manually).toBeChecked();
  });
});
