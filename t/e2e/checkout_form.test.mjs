// The checkout journeys of issue 15 (bugs 3, 4, 5 and 8), at 390 px (a
// phone) and at 1280 px, with axe and a check that the page's content fits
// the width: registering during checkout lands on the checkout signed in;
// the form keeps what was typed and says what is wrong beside the field,
// never choosing the saved address in the shopper's place; Review opened
// in two tabs and "Place order" in both makes one order; Review after
// paying goes to the order. (Adding more than the stock left is the HTTP
// suite's: t/http/test_journeys.c.)
import {
	browserTest, assert, api, addToCartFromSearch, cartCount, checkA11y, freshEmail, payOnGatewayPage,
	registerWithForm, sql,
} from './lib.mjs';

const WIDTHS = [390, 1280];
const SLOW = { timeout: 140000 };	// a shared machine: a journey with the gateway takes a while

// axe on the whole page at both widths.
async function axeCheck(page, t, name, width) {
	return checkA11y(page, t, `${name}-${width}`);
}

async function atWidth(page, width) {
	await page.setViewportSize({ width, height: width < 600 ? 844 : 900 });
}

// Nothing on the page scrolls sideways.
async function noSidewaysScroll(page, what) {
	const [right, iw] = await page.evaluate(() => [document.scrollingElement.scrollWidth, window.innerWidth]);
	assert.ok(right <= iw, `${what}: the page is ${right} px wide in a ${iw} px window`);
}


// One journey per width (the file stays within t/e2e/run's time for a
// file): a guest registers during checkout, meets the form's errors, opens
// Review in two tabs, places the order in both, pays in the first.
for (const width of WIDTHS) {
	browserTest(`checkout journey: register, form errors, two tabs, pay (${width} px)`, SLOW, async (page, t) => {
		await atWidth(page, width);
		const name = 'Form Keeper';
		const email = freshEmail('coform');

		// Bug 5: the checkout's "Sign in" (/signin?next=/checkout) ▶ Create an
		// account ▶ signed in, on the checkout.
		await addToCartFromSearch(page, 'watch');
		assert.equal(await cartCount(page), 1);
		await page.goto('/checkout');
		await page.locator('.guest-choice').getByRole('link', { name: 'Sign in' }).click();
		await page.waitForURL(/\/signin\?next=/);
		await page.getByRole('link', { name: 'Create an account' }).click();
		await page.waitForURL(/\/register\?next=%2Fcheckout/);
		await axeCheck(page, t, `register with next ${width}`, width);
		await noSidewaysScroll(page, 'the register page');
		await registerWithForm(page, { name, email });
		assert.equal(new URL(page.url()).pathname, '/checkout');
		await page.getByRole('heading', { level: 1, name: 'Checkout' }).waitFor();
		assert.equal(await cartCount(page), 1, 'the guest cart came along');

		// Bug 3: a saved address the form must not fall back to silently.
		await api(page, 'POST', '/api/me/addresses', { data: { name: 'Old Home', line1: '9 Elm St', city: 'Austin',
			region: 'TX', postalCode: '78701', country: 'US' } });
		await page.reload();
		await page.getByRole('complementary', { name: 'Order summary' }).waitFor();
		await axeCheck(page, t, `checkout form ${width}`, width);
		await noSidewaysScroll(page, 'the checkout form');
		assert.equal(await page.getByLabel('Save this address in my address book').isChecked(), true,
			'the save box is ticked by default');
		await page.getByLabel('A new address:').check();
		await page.getByLabel('Full name').fill(name);
		await page.getByLabel(/^Address line 1/).fill('1 Main Street');
		await page.getByLabel(/^Address line 2/).fill('Flat 2');
		await page.getByLabel('City').fill('Los Angeles');
		await page.getByLabel(/^Country/).selectOption('US');
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
		assert.match(await page.locator('#co-postalCode-error').innerText(), /ZIP code/);
		assert.equal(await page.getByLabel('A new address:').isChecked(), true, 'the new address stays chosen');
		assert.equal(await page.getByRole('radio', { name: /Old Home/ }).isChecked(), false, 'the saved one is not');
		const text = await page.locator('main').innerText();
		assert.ok(!/shippingAddress:|postalCode:/.test(text), `no internal words: ${text.slice(0, 300)}`);
		await axeCheck(page, t, `checkout errors ${width}`, width);
		await noSidewaysScroll(page, 'the checkout form with errors');

		// Corrected: Review is a page of its own (a GET), the address saved.
		await zip.fill('90001');
		await page.getByRole('button', { name: 'Review your order' }).click();
		await page.getByRole('heading', { level: 1, name: 'Review your order' }).waitFor();
		assert.equal(new URL(page.url()).pathname, '/checkout/review');
		await page.locator('address').getByText('Los Angeles, CA 90001').waitFor();
		await page.getByRole('complementary', { name: 'Order summary' }).waitFor();
		await axeCheck(page, t, `review ${width}`, width);
		await noSidewaysScroll(page, 'the review page');
		assert.deepEqual(sql(`SELECT COUNT(*) FROM addresses a JOIN users u ON u.id = a.user_id
			WHERE u.email = '${email}' AND a.line1 = '1 Main Street' AND a.region = 'CA'`), [['1']]);

		// Bug 4: the same Review in a second tab; "Place order" in both.
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

		// Bug 8: paid in the first tab; Review again (Back) is a GET that
		// goes to the order, never a form to send again.
		await payOnGatewayPage(page);
		await page.waitForURL(/\/orders\/\d+$/);
		assert.equal(Number(new URL(page.url()).pathname.split('/').pop()), orderId);
		await page.goto('/checkout/review');
		await page.waitForURL(new RegExp(`/orders/${orderId}$`));

		// Cancel: asked first on a page of its own (no JavaScript needed);
		// "No, keep it" changes nothing, "Yes" cancels and the page no
		// longer says the order was paid.
		await page.getByRole('button', { name: 'Cancel this order…' }).click();
		await page.waitForURL(new RegExp(`/orders/${orderId}/cancel`));
		await page.getByRole('heading', { name: `Cancel order ${orderId}?` }).waitFor();
		await axeCheck(page, t, `cancel ${width}`, width);
		await noSidewaysScroll(page, 'the cancel confirmation');
		await page.getByRole('link', { name: 'No, keep it' }).click();
		await page.waitForURL(new RegExp(`/orders/${orderId}$`));
		assert.notDeepEqual(sql(`SELECT status FROM orders WHERE id = ${orderId}`), [['cancelled']]);
		await page.getByRole('button', { name: 'Cancel this order…' }).click();
		await page.getByRole('button', { name: 'Yes, cancel the order' }).click();
		await page.waitForURL(new RegExp(`/orders/${orderId}$`));
		assert.deepEqual(sql(`SELECT status FROM orders WHERE id = ${orderId}`), [['cancelled']]);
		const after = await page.locator('main').innerText();
		assert.match(after, /Not charged/);
		assert.doesNotMatch(after, /Paid with/);
	});
}
