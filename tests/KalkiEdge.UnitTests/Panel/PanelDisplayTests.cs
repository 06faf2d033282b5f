using KalkiEdge.Panel.Display;
using KalkiEdge.Panel.Pairing;
using Microsoft.Extensions.Time.Testing;

namespace KalkiEdge.UnitTests.Panel;

/// <summary>Every page's exact screen on both LCD sizes, rotation and interrupts on a fake clock, an unplugged display.</summary>
public class PanelDisplayTests
{
    private static readonly TimeSpan Rotate = TimeSpan.FromSeconds(4);

    private static readonly AdmissionResult Hue = new(new PairingVerdict(0x00_17_88_5E_6F_70, "philips-hue-bridge", 75, false, "oui Philips Lighting BV"), true, "recognised");

    private static readonly PanelStatus Status = new()
    {
        Normal = 12,
        Suspicious = 1,
        Attack = 0,
        NewestAlert = ("dlink-camera-front-door", "max-login-attempts"),
        PairingSeconds = 87,
        LastPaired = Hue,
        Management = "192.0.2.2:8080",
        Hypervisor = "emulated",
        Signing = "batched",
    };

    [TestCase(PanelPage.Counts, "N:12 S:1 A:0    ", "13 devices      ")]
    [TestCase(PanelPage.Alert, "dlink-camera-fro", "max-login-attemp")]
    [TestCase(PanelPage.Pairing, "PAIRING 87s     ", "75% philips-hue-")]
    [TestCase(PanelPage.Management, "management      ", "192.0.2.2:8080  ")]
    [TestCase(PanelPage.Assurance, "hv emulated     ", "sign batched    ")]
    [TestCase(PanelPage.FactoryReset, "FACTORY RESET?  ", "press to confirm")]
    public void Each_page_on_a_16x2_shows_exactly_this(PanelPage page, string line1, string line2)
    {
        Assert.That(PanelPages.Render(Status, page, 16, 2), Is.EqualTo(new[] { line1, line2 }));
    }

    [Test]
    public void A_20x4_shows_more_of_each_page()
    {
        Assert.That(PanelPages.Render(Status, PanelPage.Pairing, 20, 4), Is.EqualTo(new[]
        {
            "PAIRING 87s         ",
            "75% philips-hue-brid",
            "philips-hue-bridge-5",
            "recognised          ",
        }));
        Assert.That(PanelPages.Render(Status, PanelPage.Counts, 20, 4), Is.EqualTo(new[]
        {
            "N:12 S:1 A:0        ",
            "13 devices          ",
            "pairing 87s         ",
            "                    ",
        }));
        var review = Status with { LastPaired = new AdmissionResult(new PairingVerdict(0x02_3C_71_BF_00_01, "generic-iot", 20, true, ""), true, "needs review"), PairingSeconds = 0 };
        Assert.That(PanelPages.Render(review, PanelPage.Pairing, 20, 4), Is.EqualTo(new[]
        {
            "pairing: press btn  ",
            "20% generic-iot     ",
            "generic-iot-bf0001  ",
            "NEEDS REVIEW        ",
        }));
    }

    [Test]
    public void Pages_rotate_every_period_and_the_display_is_written_only_on_change()
    {
        var time = new FakeTimeProvider();
        var lcd = new MemoryDisplay(16, 2);
        var screen = new PanelScreen(lcd, Rotate, time);
        var pages = new List<PanelPage>();
        for (var i = 0; i < 24; i++)
        {
            screen.Tick(Status);
            pages.Add(screen.Page);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.That(pages.Distinct(), Is.EqualTo(new[] { PanelPage.Counts, PanelPage.Alert, PanelPage.Pairing, PanelPage.Management, PanelPage.Assurance }));
        Assert.That(pages.Take(4), Is.All.EqualTo(PanelPage.Counts));
        Assert.That(pages[20], Is.EqualTo(PanelPage.Counts), "the rotation wraps");
        Assert.That(lcd.Writes, Is.EqualTo(6));
    }

    [Test]
    public void A_device_going_to_attack_a_pairing_result_or_a_fail_closed_condition_interrupts_at_once()
    {
        var time = new FakeTimeProvider();
        var lcd = new MemoryDisplay(16, 2);
        var screen = new PanelScreen(lcd, Rotate, time);
        var quiet = Status with { LastPaired = null };
        screen.Tick(quiet);

        screen.Tick(quiet with { Attack = 1, Normal = 11, NewestAlert = ("wemo-insight-1", "control-attempt") });
        Assert.That(lcd.Lines, Is.EqualTo(new[] { "wemo-insight-1  ", "control-attempt " }));

        screen.Tick(quiet with { Attack = 1, Normal = 11, LastPaired = Hue });
        Assert.That(screen.Page, Is.EqualTo(PanelPage.Pairing));

        screen.Tick(quiet with { Attack = 1, Normal = 11, LastPaired = Hue, FailClosed = "attestation cam-1" });
        Assert.That(lcd.Lines, Is.EqualTo(new[] { "FAIL-CLOSED     ", "attestation cam-" }));
    }

    [Test]
    public void An_unplugged_display_is_retried_with_backoff_and_redrawn_when_it_is_back()
    {
        var time = new FakeTimeProvider();
        var lcd = new MemoryDisplay(16, 2) { Unplugged = true };
        var log = new List<string>();
        var screen = new PanelScreen(lcd, Rotate, time, log.Add);

        var attempts = new List<int>();
        for (var i = 0; i < 40; i++)
        {
            screen.Tick(Status);
            attempts.Add(screen.Failures);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        // Backoff 1, 2, 4, 8, 16, 30 s: six failed writes in 40 s, not forty.
        Assert.That(screen.Failures, Is.EqualTo(6));
        Assert.That(log, Has.Count.EqualTo(1).And.Some.Contains("display write failed"));

        lcd.Unplugged = false;
        time.Advance(TimeSpan.FromSeconds(30));
        screen.Tick(Status);
        Assert.That(screen.Failures, Is.Zero);
        Assert.That(lcd.Writes, Is.EqualTo(1));
        Assert.That(log[^1], Does.Contain("display is back"));
    }

    [Test]
    public void The_console_display_draws_the_same_lines_boxed()
    {
        using var output = new StringWriter();
        var console = new ConsoleDisplay(output, 16, 2);
        console.Show(PanelPages.Render(Status, PanelPage.Counts, 16, 2));

        Assert.That(output.ToString(), Does.Contain("|N:12 S:1 A:0    |").And.Contain("|13 devices      |").And.Contain("+----------------+"));
    }
}
