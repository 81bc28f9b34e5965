using System.Runtime.CompilerServices;
using Isa.Backends.Vcpu.Kvm;

namespace Isa.Vcpu.Tests;

/// <summary>A test that needs a working /dev/kvm: skipped with the reason where there is none (the CI runs them in its KVM VM).</summary>
public sealed class KvmFactAttribute : FactAttribute
{
    public KvmFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (!Kvm.Available)
        {
            Skip = $"needs /dev/kvm ({Kvm.Reason}); the CI runs it inside scripts/kvm-vm.sh";
        }
    }
}

/// <summary>The same for theories.</summary>
public sealed class KvmTheoryAttribute : TheoryAttribute
{
    public KvmTheoryAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (!Kvm.Available)
        {
            Skip = $"needs /dev/kvm ({Kvm.Reason}); the CI runs it inside scripts/kvm-vm.sh";
        }
    }
}

internal static class Kvm
{
    private static readonly Lazy<(bool Available, string Reason)> Probe = new(() => (KvmHypervisor.IsAvailable(out string reason), reason));

    public static bool Available => Probe.Value.Available;

    public static string Reason => Probe.Value.Reason;
}
