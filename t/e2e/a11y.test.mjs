// Accessibility: axe on the pages a shopper goes through. Serious and
// critical violations fail (lib.mjs checkA11y); the rest are reported as
// diagnostics, and every page's full result is kept in
// build/test-logs/e2e/axe-*.json.
import {
	browserTest, assert, a11yProblems, addToCartFromSearch, checkA11y, fillNewAddress, freshEmail,
	registerWithApi, signInWithForm,
} from './lib.mjs';

// Pages anyone sees, as they come (no cookies).
const pages = [
	['home', '/', 200],
	['category', '/c/smartphones', 200],
	['department', '/c/electronics', 200],
	['search', '/search?q=laptop', 200],
	['search without results', '/search?q=zzqxj', 200],
	['sign-in', '/signin', 200],
	['register', '/register', 200],
	['not found', '/p/no-such-product', 404],
];

for (const [name, url, status] of pages) {
	browserTest(`accessibility: ${name} (${url})`, async (page, t) => {
		const r = await page.goto(url);
		assert.equal(r.status(), status);
		await checkA11y(page, t, name);
	});
}

// A product page: the first product of a category (other suites share the
// stack, so no product is named here).
browserTest('accessibility: product', async (page, t) => {
	await page.goto('/c/smartphones');
	await page.locator('li.card a.card-link').first().click();
	await page.waitForURL(/\/p\//);
	await checkA11y(page, t, 'product');
});

// The search box with its suggestions open (the combobox that app.js adds).
browserTest('accessibility: search suggestions open', async (page, t) => {
	await page.goto('/');
	// One fill, one request: the list is not rebuilt while axe reads it.
	const answered = page.waitForResponse((r) => r.url().includes('/api/suggest?q=watch'));
	await page.getByRole('combobox', { name: 'Search products' }).fill('watch');
	await answered;
	await page.getByRole('listbox').getByRole('option').first().waitFor();
	await checkA11y(page, t, 'search suggestions');
});

browserTest('accessibility: cart with a line', async (page, t) => {
	await addToCartFromSearch(page, 'laptop');
	await checkA11y(page, t, 'cart');
});

// A signed-in shopper's pages: checkout (with the form's errors too), the
// review, the order page waiting for payment, the list of orders. All are
// checked; the test fails once with every page's problems.
browserTest('accessibility: checkout, review, order, orders', async (page, t) => {
	const name = 'Alex Axe';
	const email = freshEmail('a11y');
	const problems = [];

	await page.goto('/');
	await registerWithApi(page, { name, email });
	await signInWithForm(page, { email, name });
	await addToCartFromSearch(page, 'laptop');
	await page.goto('/checkout');
	problems.push(...await a11yProblems(page, t, 'checkout'));

	// A submission without an address: the page again, with its error.
	await page.getByRole('button', { name: 'Review your order' }).click();
	await page.locator('.form-error').waitFor();
	problems.push(...await a11yProblems(page, t, 'checkout with an error'));

	await fillNewAddress(page, name);
	await page.getByRole('group', { name: 'Shipping method' }).getByRole('radio', { disabled: false }).first().check();
	await page.getByRole('button', { name: 'Review your order' }).click();
	await page.getByRole('heading', { level: 1, name: 'Review your order' }).waitFor();
	problems.push(...await a11yProblems(page, t, 'checkout review'));

	// Place the order but leave the gateway's page unpaid: the order page
	// then offers "Pay now".
	await page.getByRole('button', { name: 'Place order and pay' }).click();
	await page.waitForURL(/\/pay\/pi_/);
	await page.goto('/orders');
	problems.push(...await a11yProblems(page, t, 'orders'));
	await page.locator('table.cart-lines').getByRole('link', { name: /^Order \d+/ }).first().click();
	await page.waitForURL(/\/orders\/\d+$/);
	problems.push(...await a11yProblems(page, t, 'order'));

	assert.equal(problems.length, 0, `axe found serious or critical problems:\n${problems.join('\n')}`);
});
