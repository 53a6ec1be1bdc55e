//! WS-Trust: MEX parsing, the RST envelope, RSTR parsing and SOAP faults (to be written).
