/** Schemas as the API serves them for two sample products (test fixtures). */
import type { ConfigSchema } from '../types/configSchema';

export const cabinetSchema: ConfigSchema = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Kitchen Base Cabinet",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "width": {
      "type": "number",
      "title": "Width",
      "description": "Overall width of the cabinet, outside of side panel to outside of side panel.",
      "minimum": 0.3,
      "maximum": 1.2,
      "default": 0.6,
      "x-unit": "m",
      "x-kind": "float"
    },
    "height": {
      "type": "number",
      "title": "Height",
      "description": "Overall height from the floor, including the toe kick (worktop not included).",
      "minimum": 0.7,
      "maximum": 0.9,
      "default": 0.87,
      "x-unit": "m",
      "x-kind": "float"
    },
    "depth": {
      "type": "number",
      "title": "Depth",
      "description": "Overall depth from the wall to the front of the handles.",
      "minimum": 0.5,
      "maximum": 0.65,
      "default": 0.58,
      "x-unit": "m",
      "x-kind": "float"
    },
    "shelf_count": {
      "type": "integer",
      "title": "Shelf Count",
      "description": "Number of shelves inside the cabinet, evenly spaced.",
      "minimum": 0,
      "maximum": 3,
      "default": 1,
      "x-kind": "int"
    },
    "door_count": {
      "type": "integer",
      "title": "Door Count",
      "description": "Number of doors across the front. Cabinets wider than 0.9 m need two.",
      "minimum": 1,
      "maximum": 2,
      "default": 1,
      "x-kind": "int"
    },
    "handle_position": {
      "type": "number",
      "title": "Handle Position",
      "description": "Height of the handles on the doors: 0 at the bottom, 1 at the top (usual for base cabinets).",
      "minimum": 0.0,
      "maximum": 1.0,
      "default": 1.0,
      "x-format": "percent",
      "x-kind": "float"
    },
    "door_style": {
      "type": "string",
      "title": "Door Style",
      "enum": [
        "Shaker",
        "Slab"
      ],
      "default": "Shaker",
      "x-kind": "variant"
    },
    "handle_style": {
      "type": "string",
      "title": "Handle Style",
      "enum": [
        "Bar Pull",
        "Knob"
      ],
      "default": "Bar Pull",
      "x-kind": "variant"
    },
    "carcass_finish": {
      "type": "string",
      "title": "Carcass Finish",
      "enum": [
        "Navy Blue",
        "Oak",
        "Sage Green",
        "Walnut",
        "White Matte"
      ],
      "default": "White Matte",
      "x-kind": "material",
      "x-swatches": {
        "Navy Blue": "#2c3a52",
        "Oak": "#b5885a",
        "Sage Green": "#8c9c80",
        "Walnut": "#5b3a26",
        "White Matte": "#edebe6"
      }
    },
    "handle_finish": {
      "type": "string",
      "title": "Handle Finish",
      "enum": [
        "Brass",
        "Brushed Steel",
        "Matte Black"
      ],
      "default": "Brushed Steel",
      "x-kind": "material",
      "x-swatches": {
        "Brass": "#c9a24e",
        "Brushed Steel": "#c4c6c8",
        "Matte Black": "#1c1c1c"
      }
    }
  },
  "allOf": [
    {
      "if": {
        "properties": {
          "width": {
            "exclusiveMinimum": 0.9
          }
        },
        "required": [
          "width"
        ]
      },
      "then": {
        "properties": {
          "door_count": {
            "const": 2
          }
        },
        "required": [
          "door_count"
        ]
      },
      "x-message": "Cabinets wider than 0.9 m need two doors: a single door that wide would sag and hit the wall when opened."
    }
  ]
};

export const fireplaceSchema: ConfigSchema = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Fireplace Surround",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "opening_width": {
      "type": "number",
      "title": "Opening Width",
      "description": "Width of the firebox opening the surround frames.",
      "minimum": 0.6,
      "maximum": 1.2,
      "default": 0.9,
      "x-unit": "m",
      "x-kind": "float"
    },
    "opening_height": {
      "type": "number",
      "title": "Opening Height",
      "description": "Height of the firebox opening, from the floor.",
      "minimum": 0.55,
      "maximum": 1.0,
      "default": 0.8,
      "x-unit": "m",
      "x-kind": "float"
    },
    "border_width": {
      "type": "number",
      "title": "Border Width",
      "description": "Width of the surround's legs, which is also the height of its header.",
      "minimum": 0.12,
      "maximum": 0.35,
      "default": 0.2,
      "x-unit": "m",
      "x-kind": "float"
    },
    "tile_color": {
      "type": "string",
      "title": "Tile Color",
      "description": "Colour of the glazed slip tiles around the opening.",
      "pattern": "^#[0-9a-fA-F]{6}$",
      "default": "#2e5e4e",
      "x-kind": "color"
    },
    "hearth": {
      "type": "boolean",
      "title": "Hearth",
      "description": "Add a raised slate hearth in front of the fireplace.",
      "default": true,
      "x-kind": "bool"
    },
    "mantel_style": {
      "type": "string",
      "title": "Mantel Style",
      "enum": [
        "Classic",
        "Modern",
        "Flush"
      ],
      "default": "Classic",
      "x-kind": "variant"
    },
    "surround_finish": {
      "type": "string",
      "title": "Surround Finish",
      "enum": [
        "Charcoal",
        "Limestone",
        "Oak",
        "Painted White"
      ],
      "default": "Painted White",
      "x-kind": "material",
      "x-swatches": {
        "Charcoal": "#3a3b3e",
        "Limestone": "#d6ccba",
        "Oak": "#b5885a",
        "Painted White": "#f0eee9"
      }
    }
  },
  "allOf": [
    {
      "if": {
        "properties": {
          "opening_width": {
            "exclusiveMinimum": 1.0
          }
        },
        "required": [
          "opening_width"
        ]
      },
      "then": {
        "properties": {
          "hearth": {
            "const": true
          }
        },
        "required": [
          "hearth"
        ]
      },
      "x-message": "Fireplace openings wider than 1.0 m need a hearth to protect the floor in front of the fire."
    }
  ]
};
