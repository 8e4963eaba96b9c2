// Reviews (issue 17) in a browser without JavaScript, on a phone (390 px)
// and a desktop (1280 px): a shopper writes a review from the product page,
// finds it in the list filtered by its stars and votes another's helpful;
// one held for a link waits on "My reviews"; an admin rejects it with a
// reason at /admin/reviews. No page scrolls sideways, even with a very
// long word. Then, with JavaScript (axe needs it), axe finds no serious
// problem on the list, the form, My reviews and the queue.
import { browserTest, assert, checkA11y, sql, shopctl, freshEmail, registerWithApi, signInWithForm } from './lib.mjs';

// A product of one active SKU from the demo catalog (other suites share
// the stack: take one by width, so the two runs use two products).
function productSlug(k) {
	const rows = sql('SELECT p.slug FROM products p WHERE p.status = \'active\' AND p.id <= 194 ' +
		`ORDER BY p.id DESC LIMIT 1 OFFSET ${k}`);
	return rows[0][0];
}

async function noSideways(page, what) {
	assert.ok(await page.evaluate(() => document.scrollingElement.scrollWidth <= window.innerWidth),
		`${what} does not scroll sideways`);
}

for (const width of [390, 1280]) {
	browserTest(`reviews without JavaScript at ${width} px: write, list, vote, queue, reject`, { js: false, timeout: 300000 },
		async (page, t, { newPage }) => {
			const slug = productSlug(width === 390 ? 3 : 4), tag = `run${process.pid}x${width}`;	// never nine digits in a row: a phone number
			sql('UPDATE review_settings SET value = \'1\' WHERE name = \'accept_non_buyers\'');
			await page.setViewportSize({ width, height: 900 });

			// A shopper writes a review from the product page.
			const email = freshEmail('rvwriter');
			await page.goto(`/p/${slug}`);
			await registerWithApi(page, { name: 'Wren Writer', email });
			await signInWithForm(page, { email, name: 'Wren Writer' });
			await page.goto(`/p/${slug}`);
			await page.getByRole('link', { name: 'Write a review' }).click();
			await page.waitForURL(new RegExp(`/p/${slug}/review$`));
			await page.getByLabel('4 stars').check();
			await page.getByLabel(/^Title/).fill(`Sturdy and light ${tag}`);
			const word = 'x'.repeat(300);
			await page.getByLabel(/^Your review/).fill(`Carried it every day ${tag} ${word}`);
			await page.getByRole('button', { name: 'Publish review' }).click();
			await page.waitForURL(new RegExp(`/p/${slug}#reviews$`));
			await page.getByText('Thank you: your review is published.').waitFor();
			await noSideways(page, 'the product page with a long word');

			// The list, filtered by four stars.
			await page.goto(`/p/${slug}/reviews`);
			await page.getByRole('link', { name: '4 star', exact: true }).first().click();
			await page.waitForURL(/stars=4/);
			await page.getByRole('heading', { name: `Sturdy and light ${tag}` }).waitFor();
			await noSideways(page, 'the list');

			// Another shopper finds it helpful.
			const other = await newPage();
			await other.setViewportSize({ width, height: 900 });
			const email2 = freshEmail('rvvoter');
			await other.goto(`/p/${slug}`);
			await registerWithApi(other, { name: 'Vic Voter', email: email2 });
			await signInWithForm(other, { email: email2, name: 'Vic Voter' });
			await other.goto(`/p/${slug}/reviews?sort=newest`);
			await other.locator('article.review').filter({ hasText: `Sturdy and light ${tag}` })
				.getByRole('button', { name: 'Helpful' }).click();
			await other.getByText('Thank you for your vote.').waitFor();
			await other.locator('article.review').filter({ hasText: `Sturdy and light ${tag}` })
				.getByText('You found this helpful').waitFor();

			// A review held for a link waits on My reviews.
			await other.goto(`/p/${slug}/review`);
			await other.getByLabel('2 stars').check();
			await other.getByLabel(/^Your review/).fill(`Better at www.example.com ${tag}`);
			await other.getByRole('button', { name: 'Publish review' }).click();
			await other.waitForURL(/\/account\/reviews$/);
			await other.getByText('Waiting for a moderator').first().waitFor();
			await noSideways(other, 'My reviews');

			// The admin rejects it with a reason.
			const admin = await newPage();
			await admin.setViewportSize({ width, height: 900 });
			const email3 = freshEmail('rvadmin');
			await admin.goto('/');
			await registerWithApi(admin, { name: 'Ada Admin', email: email3 });
			shopctl('grant', email3, 'admin');
			await signInWithForm(admin, { email: email3, name: 'Ada Admin' });
			await admin.goto('/admin/reviews');
			const held = admin.locator('article.review').filter({ hasText: `www.example.com ${tag}` });
			await held.getByText('contains a link').waitFor();
			await noSideways(admin, 'the queue');
			await held.getByLabel('Reason for the author').fill('Links to other shops are not allowed');
			await held.getByRole('button', { name: 'Reject' }).click();
			await admin.waitForURL(/\/admin\/reviews$/);
			await other.goto('/account/reviews');
			await other.getByText('Rejected: Links to other shops are not allowed').waitFor();
			sql('UPDATE review_settings SET value = \'0\' WHERE name = \'accept_non_buyers\'');
		});
}

// axe on the reviews' pages (with JavaScript: axe runs in the page), on a
// phone: the list, the form, My reviews with a held review, the queue.
browserTest('accessibility: reviews pages at 390 px', { timeout: 480000 }, async (page, t) => {
	const slug = productSlug(5);
	sql('UPDATE review_settings SET value = \'1\' WHERE name = \'accept_non_buyers\'');
	await page.setViewportSize({ width: 390, height: 900 });
	const email = freshEmail('rvaxe');
	await page.goto(`/p/${slug}`);
	await registerWithApi(page, { name: 'Axel Axe', email });
	shopctl('grant', email, 'admin');
	await signInWithForm(page, { email, name: 'Axel Axe' });
	await page.goto(`/p/${slug}/review`);
	await checkA11y(page, t, 'review form');
	await page.getByLabel('3 stars').check();
	await page.getByLabel(/^Your review/).fill(`See www.example.org ${process.pid}`);
	await page.getByRole('button', { name: 'Publish review' }).click();
	await page.waitForURL(/\/account\/reviews$/);
	await checkA11y(page, t, 'my reviews');
	await page.goto(`/p/${slug}/reviews`);
	await checkA11y(page, t, 'reviews list');
	await page.goto('/admin/reviews');
	await checkA11y(page, t, 'admin reviews');
	sql('UPDATE review_settings SET value = \'0\' WHERE name = \'accept_non_buyers\'');
});
