using System.Device.Gpio;
using KalkiEdge.DataPlane;
using KalkiEdge.Panel;
using KalkiEdge.Panel.Button;
using KalkiEdge.Devices.Simulators;
using Microsoft.Extensions.Time.Testing;

namespace KalkiEdge.UnitTests.Panel;

/// <summary>The button through System.Device.Gpio's controller over a fake chip, timed by a fake clock: no sleeps.</summary>
public class ButtonTests
{
    private const int Pin = 17;
    private static readonly ButtonSettings PullUp = new(0, Pin, GpioPull.Up, ActiveLow: true, TimeSpan.FromMilliseconds(30));

    private FakeTimeProvider _time = null!;
    private FakeGpioDriver _chip = null!;
    private GpioController _gpio = null!;
    private ButtonGestures _gestures = null!;
    private List<ButtonGesture> _seen = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        _chip = new FakeGpioDriver();
        _gpio = new GpioController(_chip);
        _gestures = new ButtonGestures(_time);
        _seen = [];
        _gestures.Gesture += _seen.Add;
    }

    [TearDown]
    public void TearDown()
    {
        _gpio.Dispose();
        _chip.Dispose(); // the controller disposed it already; twice is harmless
    }

    [Test]
    public void A_short_press_with_contact_bounce_is_one_pair_gesture()
    {
        using var button = new PanelButton(_gpio, PullUp, _gestures, _time);
        _time.Advance(TimeSpan.FromSeconds(40));

        Bounce(PinValue.Low);
        _time.Advance(TimeSpan.FromMilliseconds(300));
        Bounce(PinValue.High);

        Assert.That(_seen, Is.EqualTo(new[] { ButtonGesture.Pair }));
        Assert.That(_chip.Edges, Is.GreaterThan(4), "the bounces really reached the callback");
    }

    [Test]
    public void A_glitch_shorter_than_the_debounce_time_is_no_press()
    {
        using var button = new PanelButton(_gpio, PullUp, _gestures, _time);
        _chip.Set(Pin, PinValue.Low);
        _time.Advance(TimeSpan.FromMilliseconds(5));
        _chip.Set(Pin, PinValue.High);
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.That(_seen, Is.Empty);
    }

    [Test]
    public void Holding_five_seconds_cancels_pairing()
    {
        using var button = new PanelButton(_gpio, PullUp, _gestures, _time);
        _time.Advance(TimeSpan.FromSeconds(60));
        Hold(TimeSpan.FromSeconds(6));

        Assert.That(_seen, Is.EqualTo(new[] { ButtonGesture.CancelPairing }));
    }

    [Test]
    public void Holding_fifteen_seconds_just_after_power_on_then_a_press_is_a_factory_reset()
    {
        using var button = new PanelButton(_gpio, PullUp, _gestures, _time);
        _time.Advance(TimeSpan.FromSeconds(20));
        Hold(TimeSpan.FromSeconds(16));
        Assert.That(_gestures.ResetArmed, Is.True);
        _time.Advance(TimeSpan.FromSeconds(3));
        Hold(TimeSpan.FromMilliseconds(200));

        Assert.That(_seen, Is.EqualTo(new[] { ButtonGesture.FactoryResetArmed, ButtonGesture.FactoryReset }));
        Assert.That(_gestures.ResetArmed, Is.False);
    }

    [Test]
    public void The_same_hold_later_than_thirty_seconds_after_power_on_only_cancels()
    {
        using var button = new PanelButton(_gpio, PullUp, _gestures, _time);
        _time.Advance(TimeSpan.FromSeconds(31));
        Hold(TimeSpan.FromSeconds(16));
        Hold(TimeSpan.FromMilliseconds(200));

        Assert.That(_seen, Is.EqualTo(new[] { ButtonGesture.CancelPairing, ButtonGesture.Pair }));
    }

    [Test]
    public void An_armed_reset_not_confirmed_within_ten_seconds_lapses_and_the_next_press_pairs()
    {
        using var button = new PanelButton(_gpio, PullUp, _gestures, _time);
        Hold(TimeSpan.FromSeconds(16));
        _time.Advance(TimeSpan.FromSeconds(11));
        Assert.That(_gestures.ResetArmed, Is.False);
        Hold(TimeSpan.FromMilliseconds(200));

        Assert.That(_seen, Is.EqualTo(new[] { ButtonGesture.FactoryResetArmed, ButtonGesture.Pair }));
    }

    [Test]
    public void A_button_held_while_powering_on_counts_from_power_on()
    {
        _chip.Set(Pin, PinValue.Low); // held before the firmware starts
        using var button = new PanelButton(_gpio, PullUp, _gestures, _time);
        _time.Advance(TimeSpan.FromSeconds(16));
        _chip.Set(Pin, PinValue.High);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.That(_seen, Is.EqualTo(new[] { ButtonGesture.FactoryResetArmed }));
    }

    [Test]
    public void An_active_high_button_with_a_pull_down_pairs_on_a_high_pulse()
    {
        var settings = PullUp with { Pull = GpioPull.Down, ActiveLow = false };
        using (var button = new PanelButton(_gpio, settings, _gestures, _time))
        {
            _chip.Set(Pin, PinValue.High);
            _time.Advance(TimeSpan.FromMilliseconds(100));
            _chip.Set(Pin, PinValue.Low);
            _time.Advance(TimeSpan.FromMilliseconds(100));
            Assert.That(_seen, Is.EqualTo(new[] { ButtonGesture.Pair }));
        }

        Assert.That((_chip.IsOpen(Pin), _chip.Callbacks), Is.EqualTo((false, 0)), "disposing releases the line");
    }

    /// <summary>A press or release as a real contact makes it: three fast bounces, then the level settles.</summary>
    private void Bounce(PinValue final)
    {
        var other = final == PinValue.Low ? PinValue.High : PinValue.Low;
        foreach (var level in new[] { final, other, final, other, final })
        {
            _chip.Set(Pin, level);
            _time.Advance(TimeSpan.FromMilliseconds(2));
        }

        _time.Advance(TimeSpan.FromMilliseconds(50));
    }

    private void Hold(TimeSpan duration) => ButtonPresses.Hold(_chip, _time, Pin, duration);
}
