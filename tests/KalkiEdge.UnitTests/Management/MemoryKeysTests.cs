using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.KeyManagement.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KalkiEdge.UnitTests.Management;

/// <summary>
/// Sessions and antiforgery tokens are protected by an ephemeral provider, and the key ring AddDataProtection
/// registers (which would make and store a key at start) is gone, in the JIT build as in the NativeAOT one, which
/// leaves it out at compile time. That sessions and antiforgery work on those keys: <see cref="ManagementApiTests"/>.
/// </summary>
public class MemoryKeysTests : ManagementAppFixture
{
    [Test]
    public void The_server_protects_with_memory_keys_and_has_no_key_ring()
    {
        var services = _app.Server.Services;
        Assert.That(services.GetRequiredService<IDataProtectionProvider>(), Is.InstanceOf<EphemeralDataProtectionProvider>());
        Assert.That(services.GetService<IKeyManager>(), Is.Null, "the XML key manager");
        Assert.That(services.GetService<IKeyRingProvider>(), Is.Null);
        Assert.That(services.GetServices<IHostedService>().Select(h => h.GetType().FullName),
            Has.None.StartsWith("Microsoft.AspNetCore.DataProtection"), "the hosted service that makes a key at start");
    }
}
