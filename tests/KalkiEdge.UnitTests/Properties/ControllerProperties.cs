using FsCheck;
using FsCheck.Fluent;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.UnitTests.ControlPlane;

namespace KalkiEdge.UnitTests.Properties;

/// <summary>
/// The real <c>SecurityController</c> (alert lanes, policy engine, deployer, attestation) driven by random runs of
/// the Spin model's event alphabet (tests/model/kalki.pml): alerts of every kind for two devices, time passing, an
/// image failing or passing attestation, an operator reset, and the loop draining. After every drain the model's
/// properties hold of the code: every device has a chain; the chain is its state's image or the fail-closed one;
/// no image is in force that did not pass attestation when deployed; every alert raised was handled; and no rule
/// fired more often than alerts of its type arrived (no rule fires twice on one alert).
/// </summary>
public class ControllerProperties
{
    private static readonly string[] AlertKinds = [AlertTypes.PortScan, "too-hot", AlertTypes.DeviceUnavailable, "brute-force", AlertTypes.ChainFailure];
    private static readonly string[] DeviceNames = ["s1", "s2"];
    private static readonly Dictionary<string, string> ImageOfState = new() { ["Normal"] = "open", ["Suspicious"] = "watched", ["Attack"] = "closed" };

    private abstract record Step;

    private sealed record Raise(string Type, string Device) : Step;

    private sealed record Wait(int Seconds) : Step;

    private sealed record Attestation(string Image, bool Passes) : Step;

    private sealed record Reset(string Device) : Step;

    private sealed record Drain : Step;

    private static Gen<Step> Steps() => Gen.Frequency(
        (6, from t in Gen.Elements(AlertKinds) from d in Gen.Elements(DeviceNames) select (Step)new Raise(t, d)),
        (2, Gen.Choose(0, 120).Select(s => (Step)new Wait(s))),
        (2, from i in Gen.Elements("watched", "closed") from p in Gen.Elements(true, false) select (Step)new Attestation(i, p)),
        (1, Gen.Elements(DeviceNames).Select(d => (Step)new Reset(d))),
        (3, Gen.Constant((Step)new Drain())));

    [Test]
    public void The_model_properties_hold_of_the_controller_after_every_run_of_model_events()
    {
        var runs = Arb.From(Gen.Choose(1, 60).SelectMany(n => Gen.ListOf(Steps(), n)).Select(s => s.ToArray()));
        Prop.ForAll(runs, steps => Holds(steps)).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    private static bool Holds(Step[] steps)
    {
        var log = new List<(string Image, bool Attested, bool Deployed)>();
        var attestor = new SwitchableAttestor(log);
        using var h = new ControlHarness(attestor: attestor);
        h.Controller.Transitioned += t => log.Add((t.Image, false, !t.FailClosed));
        var slots = DeviceNames.ToDictionary(d => d, d => h.Add(d, 0x020000000001UL + (ulong)Array.IndexOf(DeviceNames, d)));
        var raised = new List<(string Type, string Device)>();
        h.Controller.Drain();
        foreach (var step in steps.Append(new Drain()))
        {
            switch (step)
            {
                case Raise r:
                    h.Raise(r.Type, r.Device);
                    raised.Add((r.Type, r.Device));
                    break;
                case Wait w:
                    h.Clock.NowMicros += w.Seconds * 1_000_000L;
                    break;
                case Attestation a:
                    attestor.Set(a.Image, a.Passes);
                    break;
                case Reset r:
                    h.Controller.ResetState(r.Device, "property", "reset");
                    break;
                case Drain:
                    h.Controller.Drain();
                    if (!Invariants(h, slots, log, raised))
                    {
                        return false;
                    }

                    break;
            }
        }

        return true;
    }

    private static bool Invariants(ControlHarness h, Dictionary<string, DeviceSlot> slots, List<(string Image, bool Attested, bool Deployed)> log, List<(string Type, string Device)> raised)
    {
        foreach (var (name, slot) in slots)
        {
            var state = h.Controller.Devices[name].State;
            var image = slot.Chain?.Definition.Image;
            // Never without a defense, and the defense is the state's image or the fail-closed chain.
            if (slot.Chain is null || (image != ImageOfState[state] && !slot.Chain.DropsAll))
            {
                return Fail($"{name} in {state} runs {image ?? "no chain"}");
            }
        }

        // No image in force that failed attestation when it was deployed.
        for (int i = 0; i < log.Count; i++)
        {
            if (log[i].Deployed && !log.Take(i).Any(e => e.Image == log[i].Image && e.Attested))
            {
                return Fail($"{log[i].Image} in force without passing attestation");
            }
        }

        // Every alert raised was handled (the lanes are empty after a drain).
        foreach (var group in raised.GroupBy(r => r))
        {
            if (h.Evaluated.Count(a => a.Type == group.Key.Type && a.Device == group.Key.Device && a.Source != AlertSource.Platform) < group.Count())
            {
                return Fail($"{group.Key} raised {group.Count()} times, handled fewer");
            }
        }

        // No rule fires twice on one alert: transitions caused by a type never outnumber that type's alerts.
        foreach (var group in h.Transitions.Where(t => t.Rule != "reset" && t.AlertType != AlertTypes.StateReset).GroupBy(t => (t.AlertType, t.Device)))
        {
            if (group.Count() > h.Evaluated.Count(a => a.Type == group.Key.AlertType && a.Device == group.Key.Device))
            {
                return Fail($"{group.Key} fired {group.Count()} transitions");
            }
        }

        return true;
    }

    private static bool Fail(string why)
    {
        TestContext.Out.WriteLine(why);
        return false;
    }

    /// <summary>An attestor whose verdict per image the run changes; the log gets every image it passed.</summary>
    private sealed class SwitchableAttestor(List<(string Image, bool Attested, bool Deployed)> log) : IImageAttestor
    {
        private readonly HashSet<string> _refused = [];

        public void Set(string image, bool passes)
        {
            if (passes)
            {
                _refused.Remove(image);
            }
            else
            {
                _refused.Add(image);
            }
        }

        public bool Attest(string image, ChainDefinition chain, out string reason)
        {
            bool ok = !_refused.Contains(image);
            reason = ok ? "" : "measurement mismatch";
            if (ok)
            {
                log.Add((image, true, false));
            }

            return ok;
        }
    }
}
