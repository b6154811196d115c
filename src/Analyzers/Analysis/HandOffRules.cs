using System.Collections.Generic;
using ComImpersonation.Analyzers.Api;
using ComImpersonation.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.Analyzers.Analysis
{
    /// <summary>
    /// Which hand-offs of SPEC §2 a body may make besides returning what ends the impersonation: none for a
    /// <c>Begin_</c>/<c>Finish_</c> method (COM calls it; no caller of its can revert); every path for a constructor
    /// of a scope (a type whose <c>Dispose()</c> reverts); a field of <c>this</c> in a scope type.
    /// </summary>
    internal sealed class HandOffRules
    {
        private static readonly HandOffRules None = new HandOffRules(allowed: false, scopeConstructor: false, scopeType: false, implementsInterface: false);

        private HandOffRules(bool allowed, bool scopeConstructor, bool scopeType, bool implementsInterface)
        {
            Allowed = allowed;
            IsScopeConstructor = scopeConstructor;
            IsScopeType = scopeType;
            ImplementsInterface = implementsInterface;
        }

        /// <summary>
        /// The body implements an interface member (a COM callback, a handler): it only starts an impersonation for a
        /// caller when it acts on the result. One that ignores whether it impersonated just leaves the token behind.
        /// </summary>
        public bool ImplementsInterface { get; }

        /// <summary>The body may hand an impersonation to its caller at all.</summary>
        public bool Allowed { get; }

        /// <summary>A constructor of a scope type: the object it makes ends what it starts.</summary>
        public bool IsScopeConstructor { get; }

        /// <summary>The body's type ends in <c>Dispose()</c> what its fields hold.</summary>
        public bool IsScopeType { get; }

        public static HandOffRules For(IMethodSymbol? owner, BodySession session)
        {
            if (owner is null || ApiModel.IsComEntryPoint(owner))
            {
                return None;
            }

            bool scopeType = owner.ContainingType is { } type && session.IsScopeType(type);
            return new HandOffRules(allowed: true, scopeConstructor: scopeType && owner.MethodKind == MethodKind.Constructor, scopeType, ImplementsInterfaceMember(owner));
        }

        private static bool ImplementsInterfaceMember(IMethodSymbol method)
        {
            if (!method.ExplicitInterfaceImplementations.IsEmpty)
            {
                return true;
            }

            if (method.MethodKind != MethodKind.Ordinary || method.DeclaredAccessibility != Accessibility.Public || method.ContainingType is not { } type)
            {
                return false;
            }

            foreach (INamedTypeSymbol implemented in type.AllInterfaces)
            {
                foreach (ISymbol member in implemented.GetMembers(method.Name))
                {
                    if (SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(member), method))
                    {
                        return true;
                    }
                }
            }

            return false;
        }
    }

    /// <summary>
    /// What a <c>return</c> hands to the caller, as far as the hand-offs of SPEC §2 care: an impersonation's result or
    /// context (<see cref="Site"/>, or a key that may hold one), a constant that reports success, or an object whose
    /// <c>Dispose</c> ends the impersonation.
    /// </summary>
    internal readonly struct ReturnValue
    {
        public ReturnValue(IOperation value, int site, object? key, bool reportsSuccess, bool endsImpersonation)
        {
            Value = value;
            Site = site;
            Key = key;
            ReportsSuccess = reportsSuccess;
            EndsImpersonation = endsImpersonation;
        }

        public IOperation Value { get; }

        /// <summary>The impersonation whose result is returned directly (<c>return ImpersonateLoggedOnUser(t);</c>), or -1.</summary>
        public int Site { get; }

        /// <summary>The local, parameter, field or capture returned, whose bound sites it reports.</summary>
        public object? Key { get; }

        /// <summary>
        /// A constant that says success (<c>true</c>, <c>S_OK</c>) in a method that returns something else on other paths:
        /// the value tells the caller whether the thread impersonates (a begin helper).
        /// </summary>
        public bool ReportsSuccess { get; }

        /// <summary>An impersonation context, or an object whose <c>Dispose()</c> ends the impersonation.</summary>
        public bool EndsImpersonation { get; }
    }
}
