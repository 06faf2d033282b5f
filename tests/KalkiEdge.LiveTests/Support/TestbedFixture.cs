namespace KalkiEdge.LiveTests.Support;

/// <summary>
/// A fixture with a testbed of its own (fresh namespaces under a unique prefix) and a config directory, built once
/// before its tests and always torn down after them. Where live tests cannot run (not root, no `ip netns`), the
/// fixture is skipped with the reason. A fixture adds its own prerequisites by overriding
/// <see cref="MissingPrerequisite"/> (skip) and its own set-up in a further [OneTimeSetUp], which NUnit runs after
/// this one.
/// </summary>
public abstract class TestbedFixture
{
    // The fields keep the names the fixtures had before they shared this base, so test bodies read as they did.
#pragma warning disable CA1707, IDE1006 // underscores: the fixtures' private-field style
    protected Testbed _testbed = null!;
    protected LiveConfig _configs = null!;
#pragma warning restore CA1707, IDE1006

    /// <summary>Why this fixture's own prerequisites are missing (a skip, like a missing testbed), or null.</summary>
    protected virtual string? MissingPrerequisite() => null;

    [OneTimeSetUp]
    public void BuildTestbed()
    {
        if ((Testbed.WhyUnavailable() ?? MissingPrerequisite()) is { } why)
        {
            Assert.Ignore($"{GetType().Name} skipped: {why}");
        }

        _configs = new LiveConfig();
        _testbed = Testbed.Up();
    }

    [OneTimeTearDown]
    public void TearDownTestbed()
    {
        _testbed?.Dispose();
        _configs?.Dispose();
    }
}
