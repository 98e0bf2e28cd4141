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

  // Both are kept: a fresh load shows them.
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('radio', { name: /^Member/ })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: /^Manually approve new users/ })).toBeChecked();

  // And both changes are in the configuration audit logs.
  await nav.getByRole('link', { name: 'Configuration audit logs' }).click();
  const events = page.getByRole('table', { name: 'Configuration audit events, newest first' });
  await expect(events).toContainText('User approval turned on');
  await expect(events).toContainText('Join external tailnets changed');
  expect(problems, 'no CSP violations or script errors').toEqual([]);
});
