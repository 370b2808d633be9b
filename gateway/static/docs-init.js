// The /docs page: Swagger UI (served from the swagger-ui-bundle package) over /openapi.json.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout",
  docExpansion: "list",
  validatorUrl: null, // never ask an outside validator
});
