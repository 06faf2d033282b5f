using System.Globalization;
using Deque.AxeCore.Playwright;
using KalkiEdge.LiveTests.Support;
using Microsoft.Playwright;

namespace KalkiEdge.BrowserTests.Support;

/// <summary>
/// Debian's Chromium (never a downloaded browser) driven by Playwright's bundled driver, headless, with a fresh
/// profile directory that is deleted afterwards. With <see cref="Start(string?)"/>'s namespace it runs inside that
/// network namespace, where the appliance's management server listens on loopback.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    /// <summary>The browser binary; KALKI_CHROMIUM overrides (the Debian package installs /usr/bin/chromium).</summary>
    public static string Executable => Environment.GetEnvironmentVariable("KALKI_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    private static readonly string[] Flags =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    ];

    private readonly IPlaywright _playwright;
    private readonly string _dir;

    private HeadlessChromium(IPlaywright playwright, IBrowserContext context, string dir)
    {
        _playwright = playwright;
        Context = context;
        _dir = dir;
    }

    public IBrowserContext Context { get; }

    /// <summary>Why browser tests cannot run here, or null.</summary>
    public static string? WhyUnavailable() => File.Exists(Executable)
        ? null
        : $"no Chromium at {Executable}: `make test` installs Debian's chromium package (tools/ensure-packages.sh)";

    public static async Task<HeadlessChromium> Start(string? networkNamespace)
    {
        var dir = Path.Combine(Path.GetTempPath(), "kalki-chromium-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        var executable = Executable;
        if (networkNamespace is not null && OperatingSystem.IsLinux())
        {
            // `ip netns exec` keeps the descriptors Playwright talks to the browser through (--remote-debugging-pipe).
            executable = Path.Combine(dir, "chromium-in-netns");
            await File.WriteAllTextAsync(executable, $"#!/bin/sh\nexec ip netns exec {networkNamespace} {Executable} \"$@\"\n").ConfigureAwait(false);
            File.SetUnixFileMode(executable, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var playwright = await Playwright.CreateAsync().ConfigureAwait(false);
        try
        {
            var context = await playwright.Chromium.LaunchPersistentContextAsync(Path.Combine(dir, "profile"), new()
            {
                ExecutablePath = executable,
                Headless = true,
                Args = Flags,
                ViewportSize = new() { Width = 1440, Height = 900 },
                Locale = "en-US",
                TimezoneId = "UTC",
                Timeout = 60_000,
            }).ConfigureAwait(false);
            context.SetDefaultTimeout(15_000);
            return new HeadlessChromium(playwright, context, dir);
        }
        catch
        {
            playwright.Dispose();
            Directory.Delete(dir, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Saves the page as a full-page PNG under out/test-results/screenshots/NN-NAME.png for a person to look at, and
    /// fails on any serious or critical accessibility violation axe-core finds on it (contrast, labels, names).
    /// </summary>
    public static async Task Capture(IPage page, int order, string name)
    {
        // A toast floats over whatever is under it in a full-page picture: the step asserted it already, so wait it out.
        await Assertions.Expect(page.Locator("#toasts .toast")).ToHaveCountAsync(0, new() { Timeout = 10_000 }).ConfigureAwait(false);
        // Sticky parts (the policy page's type list) would stand where the last scroll left them in a full-page picture.
        await page.EvaluateAsync("() => window.scrollTo(0, 0)").ConfigureAwait(false);
        var dir = Path.Combine(RepoPaths.Root, "out", "test-results", "screenshots");
        Directory.CreateDirectory(dir);
        await page.ScreenshotAsync(new() { Path = Path.Combine(dir, $"{order.ToString("00", CultureInfo.InvariantCulture)}-{name}.png"), FullPage = true }).ConfigureAwait(false);
        var axe = await page.RunAxe().ConfigureAwait(false);
        var serious = axe.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(" | ", v.Nodes.Take(3).Select(n => n.Html))}")
            .ToList();
        Assert.That(serious, Is.Empty, $"accessibility of the {name} page");
    }

    public async ValueTask DisposeAsync()
    {
        await Context.CloseAsync().ConfigureAwait(false);
        _playwright.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
