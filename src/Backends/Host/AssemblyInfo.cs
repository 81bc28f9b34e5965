using System.Runtime.CompilerServices;

// The tests drive the fault handler's machine code directly, without raising signals.
[assembly: InternalsVisibleTo("Isa.Tests")]
