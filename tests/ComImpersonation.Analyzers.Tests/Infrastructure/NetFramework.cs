using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Testing;

namespace ComImpersonation.Analyzers.Tests.Infrastructure
{
    /// <summary>
    /// Test compilations against .NET Framework 4.8 (mscorlib, System, System.Core), for the APIs .NET Core lacks:
    /// <c>WindowsIdentity.Impersonate()</c> and <c>WindowsImpersonationContext</c>. The reference assemblies come
    /// from the NuGet package the test project restores, never downloaded at test time.
    /// </summary>
    internal static class NetFramework
    {
        private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new Lazy<ImmutableArray<MetadataReference>>(Load);

        public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

        public static Task AnalyzerAsync(string source, params DiagnosticResult[] expected)
        {
            var test = new Verify.AnalyzerTest();
            UseNetFramework(test.TestState);
            test.TestState.Sources.Add(source);
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync(CancellationToken.None);
        }

        public static Task FixAsync<TFix>(string source, string fixedSource)
            where TFix : CodeFixProvider, new()
        {
            var test = new VerifyFix.FixTest<TFix>();
            UseNetFramework(test.TestState);
            test.TestState.Sources.Add(source);
            test.FixedState.Sources.Add(fixedSource);
            return test.RunAsync(CancellationToken.None);
        }

        private static void UseNetFramework(SolutionState state)
        {
            state.AdditionalReferences.Clear();
            state.AdditionalReferences.AddRange(References);
        }

        private static ImmutableArray<MetadataReference> Load()
        {
            string directory = typeof(NetFramework).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(attribute => attribute.Key == "Net48ReferenceAssemblies").Value!;
            return new[] { "mscorlib.dll", "System.dll", "System.Core.dll" }
                .Select(file => (MetadataReference)MetadataReference.CreateFromFile(Path.Combine(directory, file)))
                .ToImmutableArray();
        }
    }
}
