//! OAuth2 wire types: grant requests, token and device code responses, error bodies (to be written).
