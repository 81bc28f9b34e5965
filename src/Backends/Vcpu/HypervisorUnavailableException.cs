namespace Isa.Backends.Vcpu;

/// <summary>The hypervisor this host needs is missing or refuses us (no /dev/kvm, WHPX not enabled...): the message says which.</summary>
public sealed class HypervisorUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
