//! The WS-MetadataExchange (WSDL) document of the emulated federation server.
//!
//! Clients pick the username/password endpoint by walking policies -> bindings -> ports
//! (protocol.md 4.3), so the structure below is what matters: one policy per WS-Trust version
//! with a transport binding and a username token, one SOAP 1.2 binding per policy with the
//! version's Issue action, and one port per binding carrying a WS-Addressing endpoint.

use super::xml::escape;
use super::{WSTRUST13_PATH, WSTRUST2005_PATH};

/// The MEX document advertising both WS-Trust endpoints under `base_url`.
pub(crate) fn document(base_url: &str) -> String {
    let base = base_url.trim_end_matches('/');
    let url13 = escape(&format!("{base}{WSTRUST13_PATH}"));
    let url2005 = escape(&format!("{base}{WSTRUST2005_PATH}"));
    format!(
        r##"<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions name="SecurityTokenService" targetNamespace="http://tempuri.org/"
  xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
  xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/"
  xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
  xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"
  xmlns:sp="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"
  xmlns:sp2005="http://schemas.xmlsoap.org/ws/2005/07/securitypolicy"
  xmlns:wsa10="http://www.w3.org/2005/08/addressing"
  xmlns:tns="http://tempuri.org/">
  <wsp:Policy wsu:Id="UserNameWSTrustBinding_IWSTrust13Async_policy">
    <wsp:ExactlyOne><wsp:All>
      <sp:TransportBinding><wsp:Policy><sp:TransportToken><wsp:Policy><sp:HttpsToken/></wsp:Policy></sp:TransportToken></wsp:Policy></sp:TransportBinding>
      <sp:SignedEncryptedSupportingTokens><wsp:Policy>
        <sp:UsernameToken sp:IncludeToken="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702/IncludeToken/AlwaysToRecipient">
          <wsp:Policy><sp:WssUsernameToken10/></wsp:Policy>
        </sp:UsernameToken>
      </wsp:Policy></sp:SignedEncryptedSupportingTokens>
    </wsp:All></wsp:ExactlyOne>
  </wsp:Policy>
  <wsp:Policy wsu:Id="UserNameWSTrustBinding_IWSTrustFeb2005Async_policy">
    <wsp:ExactlyOne><wsp:All>
      <sp2005:TransportBinding><wsp:Policy><sp2005:TransportToken><wsp:Policy><sp2005:HttpsToken/></wsp:Policy></sp2005:TransportToken></wsp:Policy></sp2005:TransportBinding>
      <sp2005:SignedSupportingTokens><wsp:Policy>
        <sp2005:UsernameToken sp2005:IncludeToken="http://schemas.xmlsoap.org/ws/2005/07/securitypolicy/IncludeToken/AlwaysToRecipient">
          <wsp:Policy><sp2005:WssUsernameToken10/></wsp:Policy>
        </sp2005:UsernameToken>
      </wsp:Policy></sp2005:SignedSupportingTokens>
    </wsp:All></wsp:ExactlyOne>
  </wsp:Policy>
  <wsdl:binding name="UserNameWSTrustBinding_IWSTrust13Async" type="tns:IWSTrust13Async">
    <wsp:PolicyReference URI="#UserNameWSTrustBinding_IWSTrust13Async_policy"/>
    <soap12:binding transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="Trust13IssueAsync">
      <soap12:operation soapAction="http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue" style="document"/>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:binding name="UserNameWSTrustBinding_IWSTrustFeb2005Async" type="tns:IWSTrustFeb2005Async">
    <wsp:PolicyReference URI="#UserNameWSTrustBinding_IWSTrustFeb2005Async_policy"/>
    <soap12:binding transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="TrustFeb2005IssueAsync">
      <soap12:operation soapAction="http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue" style="document"/>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="SecurityTokenService">
    <wsdl:port name="UserNameWSTrustBinding_IWSTrust13Async" binding="tns:UserNameWSTrustBinding_IWSTrust13Async">
      <soap12:address location="{url13}"/>
      <wsa10:EndpointReference><wsa10:Address>{url13}</wsa10:Address></wsa10:EndpointReference>
    </wsdl:port>
    <wsdl:port name="UserNameWSTrustBinding_IWSTrustFeb2005Async" binding="tns:UserNameWSTrustBinding_IWSTrustFeb2005Async">
      <soap12:address location="{url2005}"/>
      <wsa10:EndpointReference><wsa10:Address>{url2005}</wsa10:Address></wsa10:EndpointReference>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>"##
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::federation::xml::{child, children};
    use roxmltree::{Document, Node};

    const WSDL: &str = "http://schemas.xmlsoap.org/wsdl/";
    const SOAP12: &str = "http://schemas.xmlsoap.org/wsdl/soap12/";
    const WSP: &str = "http://schemas.xmlsoap.org/ws/2004/09/policy";
    const WSU: &str =
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
    const SP: &str = "http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702";
    const SP2005: &str = "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy";
    const WSA10: &str = "http://www.w3.org/2005/08/addressing";

    fn path<'a, 'i>(mut node: Node<'a, 'i>, steps: &[(&str, &str)]) -> Option<Node<'a, 'i>> {
        for (ns, local) in steps {
            node = child(node, &[*ns], local)?;
        }
        Some(node)
    }

    /// The endpoint picker of protocol.md 4.3 (policy -> binding -> port), returning
    /// (soap action, address) pairs.
    fn pick_endpoints(xml: &str) -> Vec<(String, String)> {
        let doc = Document::parse(xml).unwrap();
        let root = doc.root_element();
        let mut policy_ids = Vec::new();
        for policy in children(root, &[WSP], "Policy") {
            let all = path(policy, &[(WSP, "ExactlyOne"), (WSP, "All")]).unwrap();
            let v13 = path(all, &[(SP, "TransportBinding")]).is_some()
                && path(
                    all,
                    &[
                        (SP, "SignedEncryptedSupportingTokens"),
                        (WSP, "Policy"),
                        (SP, "UsernameToken"),
                        (WSP, "Policy"),
                        (SP, "WssUsernameToken10"),
                    ],
                )
                .is_some();
            let v2005 = path(all, &[(SP2005, "TransportBinding")]).is_some()
                && path(
                    all,
                    &[
                        (SP2005, "SignedSupportingTokens"),
                        (WSP, "Policy"),
                        (SP2005, "UsernameToken"),
                        (WSP, "Policy"),
                        (SP2005, "WssUsernameToken10"),
                    ],
                )
                .is_some();
            if v13 || v2005 {
                policy_ids.push(format!("#{}", policy.attribute((WSU, "Id")).unwrap()));
            }
        }
        let service = child(root, &[WSDL], "service").unwrap();
        let mut found = Vec::new();
        for binding in children(root, &[WSDL], "binding") {
            let reference = child(binding, &[WSP], "PolicyReference").unwrap();
            let transport = child(binding, &[SOAP12], "binding").unwrap();
            if !policy_ids
                .iter()
                .any(|id| Some(id.as_str()) == reference.attribute("URI"))
                || transport.attribute("transport") != Some("http://schemas.xmlsoap.org/soap/http")
            {
                continue;
            }
            let action = path(binding, &[(WSDL, "operation"), (SOAP12, "operation")])
                .unwrap()
                .attribute("soapAction")
                .unwrap();
            let name = binding.attribute("name").unwrap();
            for port in children(service, &[WSDL], "port") {
                let bound = port.attribute("binding").unwrap();
                if bound.rsplit(':').next() == Some(name) {
                    let address =
                        path(port, &[(WSA10, "EndpointReference"), (WSA10, "Address")]).unwrap();
                    found.push((action.to_owned(), address.text().unwrap().to_owned()));
                }
            }
        }
        found
    }

    #[test]
    fn mex_document_advertises_both_endpoints_through_policies_bindings_and_ports() {
        let xml = document("https://127.0.0.1:8443/");
        let endpoints = pick_endpoints(&xml);
        assert_eq!(
            endpoints,
            vec![
                (
                    "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue".to_owned(),
                    "https://127.0.0.1:8443/adfs/services/trust/13/usernamemixed".to_owned()
                ),
                (
                    "http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue".to_owned(),
                    "https://127.0.0.1:8443/adfs/services/trust/2005/usernamemixed".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn mex_document_escapes_the_base_url() {
        let xml = document("https://h/<x>&\"");
        let doc = Document::parse(&xml).unwrap();
        let addresses: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name((WSA10, "Address")))
            .map(|n| n.text().unwrap().to_owned())
            .collect();
        assert_eq!(
            addresses[0],
            "https://h/<x>&\"/adfs/services/trust/13/usernamemixed"
        );
    }

    #[test]
    fn mex_document_matches_the_recorded_structure_for_the_recorded_base_url() {
        let recorded = include_str!("testdata/mex_recorded.xml");
        assert_eq!(document("https://127.0.0.1:8443"), recorded);
    }
}
