// The checkout journeys of issue 15 (bugs 3, 4, 5 and 8), each at 390 px
// (a phone) and at 1280 px, with axe and a check that no page scrolls
// sideways: registering during checkout lands on the checkout signed in;
// the form keeps what was typed and says what is wrong beside the field,
// never choosing the saved address in the shopper's place; Review opened
// in two tabs and "Place order" in both makes one order.
import {
	browserTest, assert, api, addToCartFromSearch, cartCount, checkA11y, clearThrottles, freshEmail,
	payOnGatewayPage, registerWithApi, registerWithForm, signInWithForm, sql,
} from './lib.mjs';
import AxeBuilderModule from '@axe-core/playwright';

const AxeBuilder = AxeBuilderModule.default ?? AxeBuilderModule;

const WIDTHS = [390, 1280];
const SLOW = { timeout: 240000 };	// a shared machine: a journey with the gateway takes a while

// axe on the whole page at 1280 px; at 390 px on the page's own content
// (<main>): the header at phone widths is the layout's, measured for every
// page by a11y.test.mjs.
async function axeCheck(page, t, name, width) {
	if (width >= 1000)
		return checkA11y(page, t, name);
	const results = await new AxeBuilder({ page }).include('main').analyze();
	const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
		.map((v) => `${v.id}: ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
	assert.deepEqual(bad, [], `axe on ${name}`);
}

async function atWidth(page, width) {
	await page.setViewportSize({ width, height: width < 600 ? 844 : 900 });
}

async function noSidewaysScroll(page, what) {
	const [sw, iw] = await page.evaluate(() => [document.scrollingElement.scrollWidth, window.innerWidth]);
	assert.ok(sw <= iw, `${what} scrolls sideways at ${iw} px: ${sw} px wide`);
}

// A signed-in shopper (over the API) with one unit of something in the cart.
async function shopperWithCart(page, name) {
	const email = freshEmail('coform');
	await page.goto('/');
	await registerWithApi(page, { name, email });
	await signInWithForm(page, { email, name });
	await addToCartFromSearch(page, 'watch');
	return email;
}

for (const width of WIDTHS) {
	browserTest(`register during checkout keeps the checkout (${width} px)`, SLOW, async (page, t) => {
		await atWidth(page, width);
		const name = 'Reg During';
		const email = freshEmail('regco');
		await addToCartFromSearch(page, 'watch');
		assert.equal(await cartCount(page), 1);
		await page.goto('/checkout');
		await page.waitForURL(/\/signin\?next=/);
		await page.getByRole('link', { name: 'Create an account' }).click();
		await page.waitForURL(/\/register\?next=%2Fcheckout/);
		await axeCheck(page, t, `register with next ${width}`, width);
		await noSidewaysScroll(page, 'the register page');
		await registerWithForm(page, { name, email });
		// Signed in at once, on the checkout, the guest's cart with them.
		assert.equal(new URL(page.url()).pathname, '/checkout');
		await page.getByRole('heading', { level: 1, name: 'Checkout' }).waitFor();
		assert.equal(await cartCount(page), 1);
		await axeCheck(page, t, `checkout form ${width}`, width);
		await noSidewaysScroll(page, 'the checkout form');
	});

	browserTest(`checkout form errors keep what was typed (${width} px)`, SLOW, async (page, t) => {
		await atWidth(page, width);
		const name = 'Form Keeper';
		const email = await shopperWithCart(page, name);
		// A saved address: the form must not fall back to it silently.
		await api(page, 'POST', '/api/me/addresses', { data: { name: 'Old Home', line1: '9 Elm St', city: 'Austin',
			region: 'TX', postalCode: '78701', country: 'US' } });
		await page.goto('/checkout');
		// An order summary beside the form.
		await page.getByRole('complementary', { name: 'Order summary' }).waitFor();
		const save = page.getByLabel('Save this address in my address book');
		assert.equal(await save.isChecked(), true, 'the save box is ticked by default');
		await page.getByLabel('A new address:').check();
		await page.getByLabel('Full name').fill(name);
		await page.getByLabel(/^Address line 1/).fill('1 Main Street');
		await page.getByLabel(/^Address line 2/).fill('Flat 2');
		await page.getByLabel('City').fill('Los Angeles');
		await page.getByLabel(/^Country/).selectOption('US');
		// States as named choices.
		await page.getByLabel(/^State \(US\)/).selectOption({ label: 'California' });
		await page.getByLabel(/postal code/i).fill('9000');
		await page.getByRole('button', { name: 'Review your order' }).click();

		// Everything typed is kept; the problem is said beside its field.
		await page.getByRole('alert').waitFor();
		assert.equal(await page.getByLabel('Full name').inputValue(), name);
		assert.equal(await page.getByLabel(/^Address line 1/).inputValue(), '1 Main Street');
		assert.equal(await page.getByLabel(/^Address line 2/).inputValue(), 'Flat 2');
		assert.equal(await page.getByLabel('City').inputValue(), 'Los Angeles');
		assert.equal(await page.getByLabel(/^State \(US\)/).inputValue(), 'CA');
		const zip = page.getByLabel(/postal code/i);
		assert.equal(await zip.inputValue(), '9000');
		assert.equal(await zip.getAttribute('aria-invalid'), 'true');
		const why = page.locator('#co-postalCode-error');
		assert.match(await why.innerText(), /ZIP code/);
		assert.equal(await page.getByLabel('A new address:').isChecked(), true, 'the new address stays chosen');
		assert.equal(await page.getByRole('radio', { name: /Old Home/ }).isChecked(), false, 'the saved one is not');
		const text = await page.locator('main').innerText();
		assert.ok(!/shippingAddress:|postalCode:/.test(text), `no internal words: ${text.slice(0, 300)}`);
		await axeCheck(page, t, `checkout errors ${width}`, width);
		await noSidewaysScroll(page, 'the checkout form with errors');

		// Corrected: the review, and the address went to the address book.
		await zip.fill('90001');
		await page.getByRole('button', { name: 'Review your order' }).click();
		await page.getByRole('heading', { level: 1, name: 'Review your order' }).waitFor();
		assert.equal(new URL(page.url()).pathname, '/checkout/review', 'Review is a page of its own (a GET)');
		await page.locator('address').getByText('Los Angeles, CA 90001').waitFor();
		await page.getByRole('complementary', { name: 'Order summary' }).waitFor();
		await axeCheck(page, t, `review ${width}`, width);
		await noSidewaysScroll(page, 'the review page');
		assert.deepEqual(sql(`SELECT COUNT(*) FROM addresses a JOIN users u ON u.id = a.user_id
			WHERE u.email = '${email}' AND a.line1 = '1 Main Street' AND a.region = 'CA'`), [['1']]);
	});

	browserTest(`two tabs on Review make one order (${width} px)`, SLOW, async (page, t) => {
		await atWidth(page, width);
		const name = 'Two Tabs';
		const email = await shopperWithCart(page, name);
		await page.goto('/checkout');
		await page.getByLabel('A new address:').check();
		await page.getByLabel('Full name').fill(name);
		await page.getByLabel(/^Address line 1/).fill('1 Main Street');
		await page.getByLabel('City').fill('New York');
		await page.getByLabel(/^Country/).selectOption('US');
		await page.getByLabel(/^State \(US\)/).selectOption('NY');
		await page.getByLabel(/postal code/i).fill('10001');
		await page.getByRole('button', { name: 'Review your order' }).click();
		await page.getByRole('heading', { level: 1, name: 'Review your order' }).waitFor();

		// The same Review in a second tab of the same browser.
		const tab2 = await page.context().newPage();
		await tab2.setViewportSize({ width, height: 900 });
		await tab2.goto('/checkout/review');
		await tab2.getByRole('heading', { level: 1, name: 'Review your order' }).waitFor();

		await page.getByRole('button', { name: 'Place order and pay' }).click();
		await page.waitForURL(/\/pay\/pi_/);
		await tab2.getByRole('button', { name: 'Place order and pay' }).click();
		await tab2.waitForURL(/\/orders\/\d+$/);
		const orderId = Number(new URL(tab2.url()).pathname.split('/').pop());
		await tab2.getByText('This cart has been ordered already').waitFor();
		assert.deepEqual(sql(`SELECT o.id FROM orders o JOIN users u ON u.id = o.user_id WHERE u.email = '${email}'`),
			[[String(orderId)]], 'one order');
		await tab2.close();

		// Pay in the first tab; Back to Review is a GET that goes to the order.
		await payOnGatewayPage(page);
		await page.waitForURL(/\/orders\/\d+$/);
		assert.equal(Number(new URL(page.url()).pathname.split('/').pop()), orderId);
		await page.goto('/checkout/review');
		await page.waitForURL(new RegExp(`/orders/${orderId}$`));
		await axeCheck(page, t, `order after two tabs ${width}`, width);
	});
}

// Over the stock left: the product's form redirects (no POST result to
// refresh), and the cart says why.
browserTest('adding more than the stock left redirects with the reason', SLOW, async (page) => {
	clearThrottles();
	const code = sql(`SELECT s.code FROM skus s JOIN products p ON p.id = s.product_id
		WHERE s.status = 'active' AND p.status = 'active' AND s.id = (SELECT MIN(id) FROM skus x WHERE x.product_id = p.id)
		AND (SELECT SUM(available) FROM inventory i WHERE i.sku_id = s.id) BETWEEN 1 AND 98 ORDER BY s.id LIMIT 1`)[0][0];
	const slug = sql(`SELECT p.slug FROM products p JOIN skus s ON s.product_id = p.id WHERE s.code = '${code}'`)[0][0];
	await page.goto(`/p/${slug}`);
	// (The browser's own check of the field's maximum is taken away: the
	// stock may have changed since the page was made.)
	await page.getByLabel('Quantity').evaluate((el) => el.removeAttribute('max'));
	await page.getByLabel('Quantity').fill('99');
	await page.getByRole('button', { name: 'Add to cart' }).click();
	await page.waitForURL(/\/cart$/);
	await page.getByText(/only \d+ of/i).first().waitFor();
});
