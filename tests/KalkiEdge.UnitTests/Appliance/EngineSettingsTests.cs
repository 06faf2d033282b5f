using KalkiEdge.Appliance.Config;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;

namespace KalkiEdge.UnitTests.Appliance;

/// <summary>kalki.yaml's <c>engine: { threads: N }</c>: the default, a valid count, and every bad value refused at its place.</summary>
public sealed class EngineSettingsTests
{
    [Test]
    public void Absent_the_engine_uses_the_machines_processors_up_to_four_and_a_set_count_is_taken()
    {
        Assert.That(Read("other: 1", out var errors), Is.EqualTo(Math.Clamp(Environment.ProcessorCount, 1, 4)));
        Assert.That(errors, Is.Empty);
        Assert.That(Read("engine: {threads: 3}", out errors), Is.EqualTo(3));
        Assert.That(errors, Is.Empty);
        Assert.That(Read("engine: {}", out errors), Is.EqualTo(EngineSettings.DefaultThreads));
        Assert.That(errors, Is.Empty);
    }

    [Test]
    public void Each_bad_setting_is_refused_with_its_place_and_a_near_miss_gets_a_suggestion()
    {
        Read("engine: {threads: 0}", out var errors);
        Assert.That(errors, Is.EqualTo(new[] { "1:19: engine: 'threads' must be between 1 and 64, got 0" }));
        Read("engine: {threads: 65}", out errors);
        Assert.That(errors, Is.EqualTo(new[] { "1:19: engine: 'threads' must be between 1 and 64, got 65" }));
        Read("engine: {threads: two}", out errors);
        Assert.That(errors, Has.Count.EqualTo(1).And.Some.StartsWith("1:19: engine: 'threads'"));
        Read("engine: {thread: 2}", out errors);
        Assert.That(errors, Has.Count.EqualTo(1).And.Some.StartsWith("1:10: engine: unknown argument 'thread'").And.Some.Contains("did you mean 'threads'"));
        Read("engine: 2", out errors);
        Assert.That(errors, Is.EqualTo(new[] { "1:9: engine: expected a map of settings, got '2'" }));
    }

    private static int Read(string yaml, out List<string> errors)
    {
        var diagnostics = new DiagnosticBag();
        var root = YamlArgs.Parse(yaml, "site.yaml", diagnostics)!;
        var sections = root.Entries.ToDictionary(e => e.Key.Text, e => e.Value, StringComparer.Ordinal);
        var threads = EngineSettings.ReadThreads(sections, diagnostics);
        errors = [.. diagnostics.Items.Select(d => $"{d.Line}:{d.Column}: {d.Message}")];
        return threads;
    }
}
