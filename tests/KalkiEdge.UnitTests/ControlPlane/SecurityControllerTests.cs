using KalkiEdge.ControlPlane;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;

namespace KalkiEdge.UnitTests.ControlPlane;

public class SecurityControllerTests
{
    [Test]
    public void A_registered_device_runs_its_initial_state_chain_and_a_transition_swaps_in_the_next()
    {
        using var h = new ControlHarness();
        var slot = h.Add("s1", 0x020000000001);
        Assert.That((slot.Chain!.Definition.Image, slot.Epoch), Is.EqualTo(("open", 1L)));
        var before = slot.Chain;

        h.Raise(AlertTypes.PortScan, "s1");
        Assert.That(h.Controller.Drain(), Is.EqualTo(1));

        Assert.That(slot.Chain.Definition.Image, Is.EqualTo("watched"));
        Assert.That(slot.Chain, Is.Not.SameAs(before));
        var t = h.Transitions.Single();
        Assert.That((t.Device, t.From, t.To, t.Rule, t.Image, t.FailClosed), Is.EqualTo(("s1", "Normal", "Suspicious", "probe", "watched", false)));
        Assert.That(t.StimulusMicros, Is.LessThanOrEqualTo(t.TriggerMicros));
        Assert.That(t.TriggerMicros, Is.LessThanOrEqualTo(t.ReactMicros));
        Assert.That(t.ReactMicros, Is.LessThanOrEqualTo(t.FinishMicros));
        Assert.That(h.Controller.Devices["s1"].State, Is.EqualTo("Suspicious"));
    }

    [Test]
    public void Reaction_is_well_under_a_millisecond_on_the_system_clock()
    {
        var images = new TextImages(new() { ["open"] = "pass", ["watched"] = "pass -> pass", ["closed"] = "block-all" });
        using var controller = new SecurityController([Policy.PolicyTestPacks.Load(ControlHarness.Pack)], new ChainDeployer(images, images.FailClosed()), new SystemClock());
        var reactions = new List<long>();
        controller.Transitioned += t => reactions.Add(t.ReactionMicros);
        var clock = new SystemClock();
        for (int i = 0; i < 200; i++)
        {
            controller.Register(new DeviceSlot($"d{i}", 0x020000000100UL + (ulong)i, []), "sensor");
        }

        controller.Drain();
        for (int i = 0; i < 200; i++)
        {
            controller.Alerts.Raise(new Alert(AlertTypes.PortScan, $"d{i}", AlertSource.Umbox, clock.NowMicros, ""));
            controller.Drain();
        }

        reactions.Sort();
        Assert.That(reactions, Has.Count.EqualTo(200));
        Assert.That(reactions[(int)(reactions.Count * 0.99) - 1], Is.LessThan(1000), $"p99 reaction {reactions[^3]} µs");
    }

    [Test]
    public void A_chain_that_cannot_be_built_fails_closed_with_a_chain_failure_alert()
    {
        using var h = new ControlHarness(new() { ["open"] = "pass", ["watched"] = "pass(bogus: 1)", ["closed"] = "block-all" });
        var slot = h.Add("s1", 0x020000000001);
        h.Raise(AlertTypes.PortScan, "s1");
        h.Controller.Drain();

        Assert.That(slot.Chain!.DropsAll, Is.True);
        var t = h.Transitions.Single();
        Assert.That((t.To, t.Image, t.FailClosed), Is.EqualTo(("Suspicious", "block-all", true)));
        var failure = h.Evaluated.Single(a => a.Type == AlertTypes.ChainFailure);
        Assert.That(failure.Info, Does.Contain("image 'watched' does not build").And.Contain("unknown argument 'bogus'").And.Contain("fail-closed"));
        Assert.That(failure.Source, Is.EqualTo(AlertSource.Platform));
    }

    [Test]
    public void An_image_refused_by_attestation_fails_closed_with_an_attestation_failure_alert()
    {
        using var h = new ControlHarness(attestor: new RefuseImage("watched"));
        var slot = h.Add("s1", 0x020000000001);
        h.Raise(AlertTypes.PortScan, "s1");
        h.Controller.Drain();
        Assert.That(slot.Chain!.DropsAll, Is.True);
        Assert.That(h.Evaluated.Single(a => a.Type == AlertTypes.AttestationFailure).Info, Does.Contain("measurement mismatch"));
    }

    [Test]
    public void Images_are_compiled_once_and_instantiated_per_device()
    {
        using var h = new ControlHarness();
        var a = h.Add("a", 0x020000000001);
        var b = h.Add("b", 0x020000000002);
        Assert.That(h.Images.Compilations, Is.EqualTo(3), "each of the pack's three images once");
        Assert.That(a.Chain!.Elements[0], Is.Not.SameAs(b.Chain!.Elements[0]), "per-device element instances");
    }

    [Test]
    public void Reactions_take_ready_chain_instances_and_the_pool_is_topped_up_afterwards()
    {
        var images = new TextImages(new() { ["open"] = "pass", ["watched"] = "pass -> pass", ["closed"] = "block-all" });
        var deployer = new ChainDeployer(images, images.FailClosed());
        using var controller = new SecurityController([Policy.PolicyTestPacks.Load(ControlHarness.Pack)], deployer, new ManualClock());
        var a = new DeviceSlot("a", 0x020000000001, []);
        var b = new DeviceSlot("b", 0x020000000002, []);
        controller.Register(a, "sensor");
        controller.Register(b, "sensor");
        Assert.That(images.Compilations, Is.EqualTo(3), "every image of the pack compiled at the first registration");
        var hits = deployer.SpareHits;
        controller.Alerts.Raise(new Alert(AlertTypes.PortScan, "a", AlertSource.Umbox, 1, ""));
        controller.Alerts.Raise(new Alert(AlertTypes.PortScan, "b", AlertSource.Umbox, 1, ""));
        controller.Alerts.Raise(new Alert(AlertTypes.BruteForce, "a", AlertSource.Umbox, 2, ""));
        controller.Drain();
        Assert.That(deployer.SpareHits - hits, Is.EqualTo(3), "each reaction swapped in a ready instance");
        Assert.That(a.Chain!.DropsAll && !b.Chain!.DropsAll, Is.True);
        Assert.That(b.Chain!.Elements[0], Is.Not.SameAs(a.Chain!.Elements[0]));
    }

    [Test]
    public void State_reset_by_the_operator_returns_to_Normal_and_its_chain()
    {
        using var h = new ControlHarness();
        var slot = h.Add("s1", 0x020000000001);
        h.Raise(AlertTypes.PortScan, "s1");
        h.Raise(AlertTypes.BruteForce, "s1");
        h.Controller.Drain();
        Assert.That(slot.Chain!.DropsAll, Is.True, "Attack: closed");
        h.Controller.ResetState("s1", "alice");
        h.Controller.Drain();
        Assert.That(h.Transitions.Select(t => t.To), Is.EqualTo(new[] { "Suspicious", "Attack", "Normal" }));
        Assert.That((h.Transitions[^1].Rule, slot.Chain.Definition.Image), Is.EqualTo(("state-reset", "open")));
    }

    [Test]
    public void Telemetry_conditions_raise_alerts_that_drive_transitions()
    {
        using var h = new ControlHarness();
        h.Add("s1", 0x020000000001);
        h.Controller.Telemetry.Reading("s1", "temp", EvValue.Of(50m), h.Clock.NowMicros);
        h.Controller.Drain();
        Assert.That(h.Transitions, Is.Empty);
        h.Controller.Telemetry.Reading("s1", "temp", EvValue.Of(95.5m), h.Clock.NowMicros);
        h.Controller.Drain();
        Assert.That(h.Transitions.Single().Rule, Is.EqualTo("hot"));
        Assert.That(h.Evaluated.Single().Source, Is.EqualTo(AlertSource.Telemetry));
    }

    [Test]
    public void A_device_without_readings_carries_no_telemetry_state_until_its_first_reading()
    {
        using var h = new ControlHarness();
        h.Add("s1", 0x020000000001);
        h.Add("s2", 0x020000000002);
        _ = h.Controller.Latest("s2", "temp"); // warms the lookup path on another device

        long before = GC.GetAllocatedBytesForCurrentThread();
        var none = h.Controller.Latest("s1", "temp");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(none, Is.Null);
        Assert.That(allocated, Is.Zero, "looking up a reading must not create the device's evaluator");

        h.Controller.Telemetry.Reading("s1", "temp", EvValue.Of(21m), h.Clock.NowMicros);
        Assert.That(h.Controller.Latest("s1", "temp"), Is.EqualTo(EvValue.Of(21m)));
        Assert.That(h.Controller.Latest("s2", "temp"), Is.Null, "readings stay per device");
    }

    [Test]
    public void Device_unavailable_is_raised_when_readings_stop_for_three_intervals()
    {
        using var h = new ControlHarness();
        h.Add("s1", 0x020000000001);
        h.Controller.Telemetry.Reading("s1", "temp", EvValue.Of(20m), h.Clock.NowMicros);
        h.Clock.NowMicros += 29_000_000;
        h.Controller.Drain();
        Assert.That(h.Evaluated, Is.Empty, "3 × 10 s not yet passed");
        h.Clock.NowMicros += 2_000_000;
        h.Controller.Drain();
        Assert.That(h.Evaluated.Single().Type, Is.EqualTo(AlertTypes.DeviceUnavailable));
        Assert.That(h.Transitions.Single().Rule, Is.EqualTo("silent"));
        h.Clock.NowMicros += 60_000_000;
        h.Controller.Drain();
        Assert.That(h.Evaluated, Has.Count.EqualTo(1), "once per outage");
    }

    [Test]
    public void Group_commands_go_to_the_other_members_of_the_given_type()
    {
        using var h = new ControlHarness();
        h.Add("a", 0x020000000001, group: "lab");
        h.Add("b", 0x020000000002, group: "lab");
        h.Add("c", 0x020000000003, group: "other");
        h.Raise(AlertTypes.PortScan, "a");
        h.Raise(AlertTypes.BruteForce, "a");
        h.Controller.Drain();
        Assert.That(h.Commands, Is.EqualTo(new[] { "b:reboot:attack" }));
    }

    [Test]
    public void An_alert_flood_from_one_device_does_not_delay_another_device_or_grow_the_queue()
    {
        using var h = new ControlHarness();
        h.Add("noisy", 0x020000000001);
        var quiet = h.Add("quiet", 0x020000000002);
        for (int i = 0; i < 100_000; i++)
        {
            h.Raise(AlertTypes.Flood, "noisy", h.Clock.NowMicros + i);
        }

        h.Raise(AlertTypes.PortScan, "quiet");
        var counters = h.Controller.Alerts.Counters;
        Assert.That(counters.Queued, Is.LessThanOrEqualTo(65), "one lane holds at most its capacity");
        Assert.That(counters.Coalesced, Is.GreaterThan(99_000));
        h.Controller.Drain();

        var quietAt = h.Evaluated.FindIndex(a => a.Device == "quiet");
        Assert.That(quietAt, Is.LessThanOrEqualTo(16), "round-robin: the quiet device is served after one turn of the noisy one");
        Assert.That(quiet.Chain!.Definition.Image, Is.EqualTo("watched"));
        var floods = h.Evaluated.Where(a => a.Type == AlertTypes.Flood).ToList();
        Assert.That(floods.Sum(a => (long)a.Count), Is.EqualTo(100_000), "nothing lost: coalesced alerts carry the count");
        Assert.That(floods, Has.Count.LessThanOrEqualTo(65));
    }

    [Test]
    public void The_live_loop_reacts_without_being_drained_by_hand()
    {
        using var h = new ControlHarness();
        var slot = h.Add("s1", 0x020000000001);
        h.Controller.Start();
        h.Raise(AlertTypes.PortScan, "s1");
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (slot.Chain!.Definition.Image != "watched" && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(1);
        }

        Assert.That(slot.Chain.Definition.Image, Is.EqualTo("watched"));
    }

    [Test]
    public void The_live_loop_runs_its_setup_on_its_own_thread_before_the_first_reaction()
    {
        using var h = new ControlHarness();
        var slot = h.Add("s1", 0x020000000001);
        int setupThread = -1;
        string? stateAtSetup = null;
        using var setUp = new ManualResetEventSlim();
        h.Controller.Start(() =>
        {
            setupThread = Environment.CurrentManagedThreadId;
            stateAtSetup = h.Controller.Devices["s1"].State;
            setUp.Set();
        });
        h.Raise(AlertTypes.PortScan, "s1");
        Assert.That(setUp.Wait(TimeSpan.FromSeconds(5)), Is.True);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (slot.Chain!.Definition.Image != "watched" && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(1);
        }

        Assert.That(setupThread, Is.Not.EqualTo(Environment.CurrentManagedThreadId), "the setup runs on the loop's thread (live: its priority)");
        Assert.That(stateAtSetup, Is.EqualTo("Normal"), "the setup runs before any alert is evaluated");
        Assert.That(slot.Chain.Definition.Image, Is.EqualTo("watched"));
    }

    private sealed class RefuseImage(string image) : IImageAttestor
    {
        public bool Attest(string name, ChainDefinition chain, out string reason)
        {
            reason = name == image ? "measurement mismatch" : "";
            return name != image;
        }
    }
}
