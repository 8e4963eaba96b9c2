// A shopper clicks through the site: once with JavaScript (search box with
// suggestions, the whole checkout through the sandbox gateway's card page)
// and once without it (every page must work as plain HTML forms).
import {
	browserTest, assert, cartCount, checkoutAndPay, firstInStockCard, freshEmail, pathOf,
	registerWithForm, signInWithForm, sql, waitForCartCount,
} from './lib.mjs';

browserTest('shopper with JavaScript: search, cart, register, checkout, pay, order confirmed', async (page) => {
	const name = 'Pat Shopper';
	const email = freshEmail('shopper');

	// Home: the search box offers suggestions while typing (app.js).
	await page.goto('/');
	assert.equal(await cartCount(page), 0);
	const box = page.getByRole('combobox', { name: 'Search products' });
	await box.pressSequentially('watch', { delay: 30 });
	const suggestions = page.getByRole('listbox');
	await suggestions.getByRole('option').first().waitFor();
	assert.equal(await box.getAttribute('aria-expanded'), 'true');
	await box.press('Enter');

	// Results, then a product that is in stock.
	await page.waitForURL(/\/search\?q=watch/);
	await page.getByRole('heading', { level: 1, name: /Results for “watch”/ }).waitFor();
	const card = await firstInStockCard(page);
	const title = (await card.locator('.card-title').innerText()).trim();
	await card.locator('a.card-link').click();
	await page.waitForURL(/\/p\//);
	await page.getByRole('heading', { level: 1, name: title }).waitFor();
	const productUrl = pathOf(page);
	// The option to buy (the one checked) and its units in MariaDB. (The
	// page a guest sees may come from nginx's microcache, which serves the
	// first visitor after a quiet spell a stale copy while it refreshes.)
	const sku = await page.locator('form.add-to-cart input[name=itemId]').inputValue();
	const unitsInDb = () => Number(sql(`SELECT SUM(i.available) FROM inventory i JOIN skus s ON s.id = i.sku_id
		WHERE s.code = '${sku}'`)[0][0]);
	const shownOnPage = async () => Number(await page.locator('#buy p.stock').getAttribute('data-available'));
	const before = unitsInDb();
	assert.ok(before > 0);

	// Add to cart: the header's count goes up, the cart has the line.
	await page.getByRole('button', { name: 'Add to cart' }).click();
	await page.waitForURL(/\/cart/);
	assert.equal(await cartCount(page), 1);
	const line = page.locator('table.cart-lines tbody tr').filter({ hasText: title });
	assert.equal(await line.count(), 1, `the cart shows ${title}`);

	// Checkout asks a guest to sign in; they register instead, then sign in.
	await page.getByRole('link', { name: 'Proceed to checkout' }).click();
	// Guest checkout comes first; signing in is one click away (issue 15).
	await page.locator('.guest-choice').getByRole('link', { name: 'Sign in' }).click();
	await page.waitForURL(/\/signin/);
	await page.getByRole('link', { name: 'Create an account' }).click();
	await page.waitForURL(/\/register/);
	await registerWithForm(page, { name, email });
	await signInWithForm(page, { email, name });
	// The guest cart was kept at sign-in.
	assert.equal(await cartCount(page), 1);
	await page.locator('header').getByRole('link', { name: /^Cart/ }).click();
	await page.waitForURL(/\/cart$/);
	await page.getByRole('link', { name: 'Proceed to checkout' }).click();
	await page.waitForURL(/\/checkout$/);

	// A new account has no addresses: the form's new address is chosen.
	assert.equal(await page.getByLabel('A new address:').isChecked(), true);
	const { orderId, total } = await checkoutAndPay(page, name);
	await page.getByText('Paid with visa ending in 4242').waitFor();
	// In MariaDB: this shopper's order, confirmed, for the total they saw.
	assert.deepEqual(sql(`SELECT o.status, o.total, o.card_last4 FROM orders o JOIN users u ON u.id = o.user_id
		WHERE o.id = ${orderId} AND u.email = '${email}'`), [['confirmed', total.replace(/[^0-9]/g, ''), '4242']]);
	// The bought line left the cart.
	assert.equal(await cartCount(page), 0);

	// The order is listed in /orders, with its status.
	await page.getByRole('link', { name: 'All your orders' }).click();
	await page.waitForURL(/\/orders$/);
	const row = page.locator('table.cart-lines tbody tr').filter({ has: page.getByRole('link', { name: `Order ${orderId}` }) });
	assert.equal(await row.count(), 1);
	assert.match(await row.innerText(), /Confirmed/i);
	assert.match(await row.innerText(), new RegExp(title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));

	// The unit sold is gone, in MariaDB and on the product page the
	// signed-in shopper sees (shopd's page cache follows the outbox;
	// bounded looks, nothing timed).
	assert.equal(unitsInDb(), before - 1, `one unit of ${sku} fewer in MariaDB`);
	await page.goto(productUrl);
	for (let i = 0; i < 20 && await shownOnPage() !== before - 1; i++) {
		await page.waitForTimeout(250);
		await page.reload();
	}
	assert.equal(await shownOnPage(), before - 1, `one unit of ${sku} fewer on the product page`);
});

// The suggestions list from the keyboard (app.js): arrow down into it,
// Escape back to the box, arrow down along it to a product, Enter opens it.
// Each fill is one input event, so one request to /api/suggest: the list is
// not rebuilt under the keyboard's focus.
browserTest('search suggestions from the keyboard', async (page) => {
	await page.goto('/');
	const box = page.getByRole('combobox', { name: 'Search products' });
	const options = page.getByRole('listbox').getByRole('option');
	const suggest = async (q) => {
		const answered = page.waitForResponse((r) => r.url().includes(`/api/suggest?q=${q}`));
		await box.fill(q);
		await answered;
		await options.first().waitFor();
	};
	const focused = (l) => l.evaluate((el) => el === document.activeElement);

	await suggest('mascara');
	await box.press('ArrowDown');
	assert.equal(await focused(options.first()), true, 'ArrowDown goes to the first suggestion');
	await page.keyboard.press('Escape');
	assert.equal(await focused(box), true, 'Escape goes back to the box');
	assert.equal(await box.getAttribute('aria-expanded'), 'false');

	await box.fill('');
	await suggest('mascara');
	const product = options.filter({ hasText: /\$\d/ }).first();
	const title = (await product.evaluate((a) => a.firstChild.textContent)).trim();
	await box.press('ArrowDown');
	for (let i = 0; i < 10 && !await focused(product); i++)
		await page.keyboard.press('ArrowDown');
	await page.keyboard.press('Enter');
	await page.waitForURL(/\/p\//);
	await page.getByRole('heading', { level: 1, name: title }).waitFor();
});

browserTest('shopper without JavaScript: department, category, filters, product, cart', { js: false }, async (page) => {
	await page.goto('/');
	assert.equal(await cartCount(page), 0);

	// A department from the header, then one of its categories.
	await page.getByRole('navigation', { name: 'Departments' }).getByRole('link', { name: 'Electronics' }).click();
	await page.waitForURL(/\/c\/electronics/);
	await page.getByRole('heading', { level: 1, name: /Electronics/ }).waitFor();
	await page.getByRole('navigation', { name: 'Subcategories' }).getByRole('link', { name: /Smartphones/ }).click();
	await page.waitForURL(/\/c\/smartphones/);
	await page.getByRole('heading', { level: 1, name: /Smartphones/ }).waitFor();

	// The filter form without the script that submits on change: choose a
	// sort order and press Apply.
	await page.getByLabel('Sort by').selectOption('price_asc');
	await page.getByRole('button', { name: 'Apply' }).click();
	await page.waitForURL(/sort=price_asc/);
	const prices = await page.locator('li.card .price').allInnerTexts();
	const cents = prices.map((p) => Number(p.replace(/[^0-9]/g, '')));
	assert.ok(cents.length > 1, 'the category lists products');
	assert.deepEqual(cents, [...cents].sort((a, b) => a - b), 'sorted by price, lowest first');

	// A product; add two to the cart with the plain form.
	const card = await firstInStockCard(page);
	const title = (await card.locator('.card-title').innerText()).trim();
	await card.locator('a.card-link').click();
	await page.getByRole('heading', { level: 1, name: title }).waitFor();
	await page.getByLabel('Quantity').fill('2');
	await page.getByRole('button', { name: 'Add to cart' }).click();
	await page.waitForURL(/\/cart/);
	assert.equal(await cartCount(page), 2);
	const line = page.locator('table.cart-lines tbody tr').filter({ hasText: title });
	assert.equal(await line.count(), 1);

	// One fewer, with the − button; then remove the line.
	await line.getByRole('button', { name: `One fewer ${title}` }).click();
	await waitForCartCount(page, 1);
	await page.locator('table.cart-lines tbody tr').filter({ hasText: title })
		.getByRole('button', { name: `Remove ${title}` }).click();
	await waitForCartCount(page, 0);
	await page.getByText('Your cart is empty.').waitFor();

	// The search box is a plain GET form.
	await page.getByRole('searchbox', { name: 'Search products' }).fill('laptop');
	await page.locator('header').getByRole('button', { name: 'Search' }).click();
	await page.waitForURL(/\/search\?q=laptop/);
	assert.ok(await page.locator('li.card').count() > 0, 'search finds laptops');
});
