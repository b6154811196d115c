using System;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

// Analyzers that misbehave on purpose, for HarnessSelfTests. They are never shipped nor discovered: no release
// tracking (RS2008) and no [DiagnosticAnalyzer] attribute (RS1001).
#pragma warning disable RS1001, RS2008

namespace ComImpersonation.Analyzers.Tests.Robustness
{
    /// <summary>Throws from every code block action.</summary>
    internal sealed class ThrowingAnalyzer : DiagnosticAnalyzer
    {
        internal static readonly DiagnosticDescriptor Rule = new DiagnosticDescriptor(
            "TEST001", "test", "test", "test", DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCodeBlockAction(_ => throw new InvalidOperationException("thrown on purpose"));
        }
    }

    /// <summary>Does not finish: spins until cancelled, at most a minute.</summary>
    internal sealed class HangingAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(ThrowingAnalyzer.Rule);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCodeBlockAction(block =>
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                while (!block.CancellationToken.IsCancellationRequested && clock.Elapsed < TimeSpan.FromMinutes(1))
                {
                    Thread.Sleep(10);
                }
            });
        }
    }
}
